-- FBA inbound shipments (migration 0008). Named queries for src/store/repos/fba.ts.

-- name: get
SELECT * FROM fba_shipments WHERE seller = ? AND shipment_id = ?;

-- name: put
INSERT INTO fba_shipments (seller, shipment_id, inbound_plan_id, amazon_shipment_id, plan_name, marketplace_id, partner,
  destination_fc, amazon_reference_id, amazon_status, boxes, labels_url, state, source, sent_at, shipped_at, tracking_at,
  shipped, problems, asn_message_id, exception_id, created_at, updated_at)
VALUES (@seller, @shipmentId, @inboundPlanId, @amazonShipmentId, @planName, @marketplaceId, @partner,
  @destinationFc, @amazonReferenceId, @amazonStatus, @boxes, @labelsUrl, @state, @source, @sentAt, @shippedAt, @trackingAt,
  @shipped, @problems, @asnMessageId, @exceptionId, @createdAt, @updatedAt)
ON CONFLICT (seller, shipment_id) DO UPDATE SET
  inbound_plan_id = excluded.inbound_plan_id, amazon_shipment_id = excluded.amazon_shipment_id, plan_name = excluded.plan_name,
  marketplace_id = excluded.marketplace_id, partner = excluded.partner, destination_fc = excluded.destination_fc,
  amazon_reference_id = excluded.amazon_reference_id, amazon_status = excluded.amazon_status, boxes = excluded.boxes,
  labels_url = excluded.labels_url, state = excluded.state, source = excluded.source, sent_at = excluded.sent_at,
  shipped_at = excluded.shipped_at, tracking_at = excluded.tracking_at, shipped = excluded.shipped, problems = excluded.problems,
  asn_message_id = excluded.asn_message_id, exception_id = excluded.exception_id, updated_at = excluded.updated_at;

-- name: list
SELECT * FROM fba_shipments
WHERE (@seller IS NULL OR seller = @seller)
  AND (@partner IS NULL OR partner = @partner)
  AND (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
ORDER BY updated_at DESC, seller, shipment_id
LIMIT @limit;
