{
    "name": "complaints",
    "summary": "Complaints, escalation chains and the 2-1-1 deadlines",
    "version": "2.3.1",
    "depends": ["shared"],
    "subscribes": ["complaint.raised", "callback.completed", "customer.updated", "user.updated",
                   "webhook.endpoint_updated"],
    "publishes": [
        "complaint.raised",
        "complaint.escalated", "complaint.resolved", "complaint.closed", "complaint.reopened", "customer.flagged",
        "complaint.repeated", "complaint.deadlines_moved",
    ],
    "data": ["data/chains/default.yaml", "data/policies/default.yaml", "data/calendar.yaml", "data/users.yaml"],
}
