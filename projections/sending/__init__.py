"""Read models of the sending context: the ``messages`` list and the send metrics."""

from projections.sending.message_rows import MessageRow
from projections.sending.messages import MessagesProjection
from projections.sending.messages_view import MessagesView
from projections.sending.metrics import SendMetricsProjection
from projections.sending.metrics_view import SendMetricsView

__all__ = ["MessageRow", "MessagesProjection", "MessagesView", "SendMetricsProjection", "SendMetricsView"]
