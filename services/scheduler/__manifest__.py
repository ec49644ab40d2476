{
    "name": "scheduler",
    "summary": "Callback policies, callback tasks, the ledger (台帐) and callback outcomes",
    "version": "1.4.0",
    "depends": ["shared"],
    "subscribes": [
        "delivery.shipped", "equipment.installed", "equipment.commissioned", "delivery.cancelled",
        "service_order.completed", "customer.updated", "complaint.resolved", "customer.flagged", "user.updated",
        "complaint.repeated", "complaint.deadlines_moved", "webhook.endpoint_updated",
    ],
    "publishes": ["callback.scheduled", "callback.completed", "callback.unreachable", "complaint.raised",
                  "customer.unflagged"],
    "data": ["data/policies/default.yaml", "data/policies/seed004.yaml", "data/calendar.yaml", "data/agents.yaml",
             "data/questionnaires/vip.yaml", "data/questionnaires/enterprise.yaml",
             "data/questionnaires/major_repair.yaml", "data/questionnaires/ordinary.yaml",
             "data/questionnaires/equipment.yaml", "data/questionnaires/equipment_post_warranty.yaml",
             "data/questionnaires/verification.yaml"],
}
