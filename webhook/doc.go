// Package webhook delivers the registry's events to systems that cannot
// hold a connection open: a member registers a subscription (a URL, event
// filters and a secret), and every event that passes the filters is
// POSTed to the URL, one at a time and in ledger order.
//
// Delivery is at least once. The subscription's cursor (the id of the last
// event its receiver acknowledged with a 2xx) is stored in SQLite after
// every attempt, so a crash or restart of registry-api repeats at most the
// event in flight and loses none. A receiver de-duplicates by the event id
// (the Registry-Event-Id header, the ledger position block-txIndex).
//
// A failed attempt (no 2xx within the timeout) is repeated after an
// exponential backoff (1 s, 2 s, 4 s, … up to one hour by default). After
// MaxFailures failures in a row the subscription is paused: it keeps its
// cursor, its state says why, the log reports it, and a member resumes it
// (POST /v1/webhooks/{id}/resume) once the receiver is fixed.
//
// Signature (the scheme of Stripe and, in spirit, GitHub): each delivery
// carries
//
//	Registry-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// A receiver recomputes the HMAC over the timestamp, a full stop and the
// raw body, compares it in constant time (Verify), and refuses a timestamp
// older than its tolerance (five minutes is usual) to resist replays.
package webhook
