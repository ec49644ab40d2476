{
    "name": "complaints",
    "summary": "Complaints, escalation chains and the 2-1-1 deadlines",
    "version": "2.13.0",
    "depends": ["shared"],
    "subscribes": ["complaint.raised", "callback.completed", "callback.unreachable", "callback.declined",
                   "callback.wrong_number", "customer.updated", "user.updated", "user.signed_out", "integration_token.updated",
                   "webhook.endpoint_updated"],
    "publishes": [
        "complaint.raised",
        "complaint.escalated", "complaint.resolved", "complaint.closed", "complaint.reopened", "customer.flagged",
        "complaint.repeated", "complaint.deadlines_moved", "complaint.accepted", "complaint.verification_unreachable",
        "complaint.verification_retried", "complaint.promise_made", "complaint.promise_kept", "complaint.promise_broken",
        "corrective_action.updated", "complaint.handed_over",
        "ticket.recorded", "ticket.handed_over", "ticket.dispatched", "ticket.converted",
    ],
    "data": ["data/chains/default.yaml", "data/policies/default.yaml", "data/calendar.yaml", "data/users.yaml",
             "data/ownership.yaml", "data/tickets.yaml"],
}
