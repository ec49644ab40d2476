{
    "name": "reporting",
    "summary": "The monthly Customer Satisfaction Measurement Report (顾客满意度测量报告) and its delivery",
    "version": "1.16.0",
    "depends": ["shared"],
    "subscribes": [
        "callback.scheduled", "callback.completed", "callback.unreachable", "service_order.completed",
        "delivery.shipped", "equipment.commissioned", "delivery.cancelled", "complaint.raised", "complaint.escalated",
        "complaint.resolved", "complaint.closed", "complaint.reopened", "customer.flagged", "customer.updated",
        "user.updated", "user.signed_out", "customer.unflagged", "complaint.repeated", "complaint.deadlines_moved",
        "webhook.endpoint_updated", "callback.declined", "callback.reviewed", "complaint.verification_unreachable",
        "complaint.promise_broken", "corrective_action.updated", "lead.raised", "lead.updated",
    ],
    "publishes": ["report.generated", "report.sent"],
    "data": ["data/schedule.yaml", "data/report.yaml", "data/recipients.yaml", "data/calendar.yaml", "data/desk.yaml"],
}
