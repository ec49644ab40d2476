{
    "name": "reporting",
    "summary": "The monthly Customer Satisfaction Measurement Report (顾客满意度测量报告) and its delivery",
    "version": "1.24.0",
    "depends": ["shared"],
    "subscribes": [
        "callback.scheduled", "callback.completed", "callback.unreachable", "service_order.completed",
        "delivery.shipped", "equipment.commissioned", "delivery.cancelled", "complaint.raised", "complaint.escalated",
        "complaint.resolved", "complaint.closed", "complaint.reopened", "customer.flagged", "customer.updated",
        "user.updated", "user.signed_out", "integration_token.updated", "customer.unflagged", "complaint.repeated", "complaint.deadlines_moved",
        "webhook.endpoint_updated", "callback.declined", "callback.reviewed", "complaint.verification_unreachable",
        "complaint.promise_broken", "corrective_action.updated", "lead.raised", "lead.updated",
        "complaint.handed_over", "ticket.recorded", "ticket.handed_over", "ticket.dispatched", "ticket.converted",
    ],
    "publishes": ["report.generated", "report.sent"],
    "data": ["data/schedule.yaml", "data/report.yaml", "data/recipients.yaml", "data/calendar.yaml", "data/desk.yaml"],
}
