"""The sending context: messages, their attempts and outcomes, and the pure rules of dispatch."""
