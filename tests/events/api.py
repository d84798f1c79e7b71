def patch_webhook(client, webhook, **attributes):
    document = {"data": {"type": "webhooks", "id": str(webhook.pk), "attributes": attributes}}
    return client.patch(f"/api/webhooks/{webhook.pk}", document)
