package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/readmodel"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/webhook"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// route is one endpoint: how it is served and how the OpenAPI document
// describes it. Routes and document come from this one table, built once.
type route struct {
	method, path string // gin path (:param)
	tag, summary string
	status       int    // success status
	act          string // EIP-712 primary type of an act
	pathField    string // message field that must equal the path's {id}
	member       bool   // needs the member's bearer token
	query        []queryParam
	body         any // request body prototype (nil: none)
	response     any // response body prototype (nil: raw JSON object)
	list         bool
	handler      gin.HandlerFunc
}

type queryParam struct {
	name, description string
}

var pageParams = []queryParam{
	{"limit", "page size, 1–1000 (default 50)"},
	{"cursor", "opaque cursor of the next page, from nextCursor"},
}

// fromParam is the auditors' endpoints' query parameter.
var fromParam = []queryParam{{"from", "embedded ledger: start the bundle's chain of block headers at this block (a checkpoint you pinned); default: the first block of the evidence"}}

// reader reads what a GET answers, as JSON.
type reader func(ctx context.Context, c *gin.Context) ([]byte, error)

// lister reads a page of a listing.
type lister func(ctx context.Context, c *gin.Context, p client.PageRequest) (*schema.Page[json.RawMessage], error)

// routeTable lists every endpoint.
func (a *API) routeTable() []route {
	cl := a.cfg.Client
	act := func(method, path, tag, summary, primary, pathField string, status int, m schema.Message) route {
		r := route{method: method, path: path, tag: tag, summary: summary, status: status, act: primary, pathField: pathField,
			body: actBody{Message: m}}
		r.handler = a.actHandler(r)
		return r
	}
	get := func(path, tag, summary string, response any, read reader) route {
		return route{method: http.MethodGet, path: path, tag: tag, summary: summary, status: http.StatusOK, response: response,
			handler: a.readHandler(read)}
	}
	list := func(path, tag, summary string, item any, filters []queryParam, read lister) route {
		return route{method: http.MethodGet, path: path, tag: tag, summary: summary, status: http.StatusOK, response: item, list: true,
			query: append(append([]queryParam{}, filters...), pageParams...), handler: a.listHandler(read)}
	}
	// record reads a record by the path's {id} (and {version}).
	record := func(ref func(id string, version schema.Uint) schema.Ref) reader {
		return func(ctx context.Context, c *gin.Context) ([]byte, error) {
			var v schema.Uint
			if s := c.Param("version"); s != "" {
				var err error
				if v, err = schema.ParseVersion("version", s); err != nil {
					return nil, err
				}
			}
			return a.readRecord(ctx, ref(c.Param("id"), v))
		}
	}
	history := func(kind schema.Record) lister {
		return func(ctx context.Context, c *gin.Context, p client.PageRequest) (*schema.Page[json.RawMessage], error) {
			page, err := cl.HistoryPage(ctx, schema.Ref{Record: kind, ID: c.Param("id")}, p)
			if err != nil {
				return nil, err
			}
			out := &schema.Page[json.RawMessage]{Items: make([]json.RawMessage, len(page.Items)), Bookmark: page.Bookmark}
			for i, e := range page.Items {
				if out.Items[i], err = json.Marshal(e); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
	}
	routes := []route{
		{method: http.MethodGet, path: "/v1/eip712", tag: "signing", summary: "The EIP-712 domain and the types of every act (eth_signTypedData_v4 shape)",
			status: http.StatusOK, response: schema.EIP712{}, handler: a.eip712},

		// Member administration.
		{method: http.MethodPost, path: "/v1/parties", tag: "parties", summary: "Register a party the member vouches for (member token)",
			status: http.StatusCreated, member: true, body: schema.PartyRegistration{}, response: schema.Party{}, handler: a.registerParty()},
		{method: http.MethodPut, path: "/v1/parties/:id/in-house", tag: "parties", summary: "Replace the Anbieter the party may order from (§108 GWB; member token)",
			status: http.StatusOK, member: true, body: []string{}, response: schema.Party{}, handler: a.setInHouse()},
		{method: http.MethodPut, path: "/v1/parties/:id/details", tag: "parties", summary: "Replace what invoices need of the party: address, contact, electronic address, tax identifiers, bank account (member token)",
			status: http.StatusOK, member: true, body: schema.PartyDetails{}, response: schema.Party{}, handler: a.setDetails()},
		{method: http.MethodPost, path: "/v1/figures", tag: "settlement", summary: "Record reference figures of one kind and year — inhabitants, target-group sizes, the Königsteiner table — or correct them (member token)",
			status: http.StatusCreated, member: true, body: schema.FigureBatch{}, response: RecordedFigures{}, handler: a.recordFigures()},

		// Acts of parties.
		act(http.MethodPost, "/v1/parties/:id/keys", "parties", "Add a signing key: signed by a current key of the party, or with the member token; always with the new key's proof of possession",
			schema.TypeAddKey, "party", http.StatusCreated, &schema.AddKeyMessage{}),
		act(http.MethodPost, "/v1/parties/:id/keys/revocation", "parties", "Revoke a signing key: signed by a current key of the party, or with the member token",
			schema.TypeRevokeKey, "party", http.StatusOK, &schema.RevokeKeyMessage{}),
		act(http.MethodPost, "/v1/offerings", "offerings", "Submit an offering, or a new version of one (supplier)",
			schema.TypeSubmitOffering, "", http.StatusCreated, &schema.SubmitOfferingMessage{}),
		act(http.MethodPost, "/v1/offerings/:id/acceptance", "offerings", "Accept (publish) the latest version (Anbieter)",
			schema.TypeAcceptOffering, "offering", http.StatusOK, &schema.AcceptOfferingMessage{}),
		act(http.MethodPost, "/v1/offerings/:id/withdrawal", "offerings", "Withdraw the offering (supplier or Anbieter)",
			schema.TypeWithdrawOffering, "offering", http.StatusOK, &schema.WithdrawOfferingMessage{}),
		act(http.MethodPost, "/v1/offerings/:id/price-models", "price models", "Publish the next price-model version (supplier)",
			schema.TypePublishPriceModel, "offering", http.StatusCreated, &schema.PublishPriceModelMessage{}),
		act(http.MethodPost, "/v1/agreements", "agreements", "Express interest: open a usage agreement (customer)",
			schema.TypeExpressInterest, "", http.StatusCreated, &schema.ExpressInterestMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/fees", "agreements", "Enter the next fee version (supplier)",
			schema.TypeEnterFees, "agreement", http.StatusCreated, &schema.EnterFeesMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/approvals", "agreements", "Approve the terms of the latest fee version (customer or Anbieter)",
			schema.TypeApproveFees, "agreement", http.StatusOK, &schema.ApproveFeesMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/order", "agreements", "Place the binding order (customer)",
			schema.TypePlaceOrder, "agreement", http.StatusOK, &schema.PlaceOrderMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/termination", "agreements", "Terminate the agreement at an end date (customer or Anbieter)",
			schema.TypeTerminate, "agreement", http.StatusOK, &schema.TerminateMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/usage", "settlement", "Report the agreement's actual cases in a year, or correct a report (supplier)",
			schema.TypeReportUsage, "agreement", http.StatusCreated, &schema.ReportUsageMessage{}),
		act(http.MethodPost, "/v1/offerings/:id/allocations", "settlement", "Publish the allocation of the offering's cost pool for a year, as the ledger computes it (supplier)",
			schema.TypePublishAllocation, "offering", http.StatusCreated, &schema.PublishAllocationMessage{}),
		act(http.MethodPost, "/v1/offerings/:id/fee-adjustments", "settlement", "Adjust the annual fees of concluded agreements for the next year to their shares in a published allocation, up to 100 agreements at a time (supplier)",
			schema.TypeAdjustFees, "offering", http.StatusCreated, &schema.AdjustFeesMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/invoices", "settlement", "Issue the agreement's invoice for a year, computed by the registry; after a fee change, a corrective invoice (Anbieter)",
			schema.TypeIssueInvoice, "agreement", http.StatusCreated, &schema.IssueInvoiceMessage{}),

		// Reads.
		get("/v1/parties/:id", "parties", "A party", schema.Party{}, record(func(id string, _ schema.Uint) schema.Ref { return schema.PartyRef(id) })),
		list("/v1/parties/:id/history", "parties", "Every committed change of a party, newest first", schema.HistoryEntry{}, nil, history(schema.RecordParty)),
		list("/v1/offerings", "offerings", "Offerings, filtered by any of themenfeld, kind, supplier, anbieter, status, leika and a text search q, sorted by sort", schema.Offering{},
			[]queryParam{{"themenfeld", "one of the 14 OZG Themenfelder"}, {"kind", "ozg-service, fachverfahren, basiskomponente or cloud-service"}, {"supplier", "party id of the supplier"}, {"anbieter", "party id of the Anbieter"},
				{"status", "SUBMITTED, PUBLISHED or WITHDRAWN (any case)"}, {"leika", "a LeiKa key (14 digits)"},
				{"q", "words that must all occur (each as a word prefix, any case and accents) in the title, description, OZG-IDs, LeiKa keys or the supplier's id or name"},
				{"sort", "id (default), title, created or updated; - before it for descending"}},
			func(ctx context.Context, c *gin.Context, p client.PageRequest) (*schema.Page[json.RawMessage], error) {
				if a.projected(schema.RecordOffering) {
					return a.listProjected(ctx, c, schema.RecordOffering, schema.OfferingFilters, p)
				}
				f, err := oneFilter(c, schema.OfferingFilters...)
				if err != nil {
					return nil, err
				}
				return cl.Offerings(ctx, f, p)
			}),
		get("/v1/offerings/:id", "offerings", "The current state of an offering", schema.Offering{},
			record(func(id string, _ schema.Uint) schema.Ref { return schema.OfferingRef(id) })),
		get("/v1/offerings/:id/versions/:version", "offerings", "One version of an offering, as submitted", schema.OfferingVersion{},
			record(schema.OfferingVersionRef)),
		list("/v1/offerings/:id/history", "offerings", "Every committed change of an offering, newest first", schema.HistoryEntry{}, nil, history(schema.RecordOffering)),
		list("/v1/offerings/:id/price-models", "price models", "The price-model versions of an offering, oldest first", schema.PriceModel{}, nil,
			func(ctx context.Context, c *gin.Context, p client.PageRequest) (*schema.Page[json.RawMessage], error) {
				return cl.PriceModels(ctx, c.Param("id"), p)
			}),
		get("/v1/offerings/:id/price-models/:version", "price models", "A price-model version", schema.PriceModel{}, record(schema.PriceModelRef)),
		list("/v1/agreements", "agreements", "Agreements, filtered by any of customer, supplier, anbieter, status, offering, sorted by sort", schema.Agreement{},
			[]queryParam{{"customer", "party id of the customer"}, {"supplier", "party id of the supplier"}, {"anbieter", "party id of the Anbieter"},
				{"status", "INTEREST, FEES_ENTERED, APPROVED, CONCLUDED, FEE_CHANGE_PENDING or TERMINATED (any case)"}, {"offering", "offering id"},
				{"sort", "id (default), created or updated; - before it for descending"}},
			func(ctx context.Context, c *gin.Context, p client.PageRequest) (*schema.Page[json.RawMessage], error) {
				if a.projected(schema.RecordAgreement) {
					return a.listProjected(ctx, c, schema.RecordAgreement, schema.AgreementFilters, p)
				}
				f, err := oneFilter(c, schema.AgreementFilters...)
				if err != nil {
					return nil, err
				}
				return cl.Agreements(ctx, f, p)
			}),
		get("/v1/agreements/:id", "agreements", "An agreement", schema.Agreement{},
			record(func(id string, _ schema.Uint) schema.Ref { return schema.AgreementRef(id) })),
		list("/v1/agreements/:id/history", "agreements", "Every committed change of an agreement, newest first", schema.HistoryEntry{}, nil, history(schema.RecordAgreement)),
		get("/v1/agreements/:id/fees/:version", "agreements", "A fee version of an agreement and the terms it makes", schema.FeeVersion{}, record(schema.FeeVersionRef)),
		get("/v1/agreements/:id/usage/:year", "settlement", "The agreement's actual cases in a year, as its supplier last reported them", schema.Figure{},
			func(ctx context.Context, c *gin.Context) ([]byte, error) {
				year, err := schema.ParseVersion("year", c.Param("year"))
				if err != nil {
					return nil, err
				}
				f, err := cl.Figure(ctx, schema.FigureCases, c.Param("id"), year, 0)
				if err != nil {
					return nil, err
				}
				return json.Marshal(f)
			}),
		get("/v1/figures/:kind/:subject/:year", "settlement", "The latest version of a reference figure (kind inhabitants, targetGroup, koenigsteiner or cases; subject a party, party@offering, a Land code or an agreement)", schema.Figure{},
			func(ctx context.Context, c *gin.Context) ([]byte, error) {
				year, err := schema.ParseVersion("year", c.Param("year"))
				if err != nil {
					return nil, err
				}
				f, err := cl.Figure(ctx, c.Param("kind"), c.Param("subject"), year, 0)
				if err != nil {
					return nil, err
				}
				return json.Marshal(f)
			}),
		list("/v1/figures/:kind/:subject/:year/versions", "settlement", "Every version of a reference figure, the first recorded first", schema.Figure{}, nil,
			func(ctx context.Context, c *gin.Context, p client.PageRequest) (*schema.Page[json.RawMessage], error) {
				year, err := schema.ParseVersion("year", c.Param("year"))
				if err != nil {
					return nil, err
				}
				return cl.FigureVersions(ctx, c.Param("kind"), c.Param("subject"), year, p)
			}),
		{method: http.MethodGet, path: "/v1/offerings/:id/allocations/:year", tag: "settlement",
			summary: "The allocation of the offering's cost pool for a year, with every input and the rule: the newest published one (?version=N: that version), else the one the ledger gives now (version 0; ?priceModel=N: under that price-model version)",
			status:  http.StatusOK, query: []queryParam{{"version", "a published version"}, {"priceModel", "compute under this price-model version"}},
			response: AllocationAnswer{}, handler: a.readHandler(allocation(cl))},
		list("/v1/invoices", "settlement", "Invoices, optionally filtered by one of customer, anbieter, agreement, year", schema.Invoice{},
			[]queryParam{{"customer", "party id of the customer"}, {"anbieter", "party id of the Anbieter"}, {"agreement", "agreement id"}, {"year", "the year invoiced"}},
			func(ctx context.Context, c *gin.Context, p client.PageRequest) (*schema.Page[json.RawMessage], error) {
				f, err := oneFilter(c, schema.InvoiceFilters...)
				if err != nil {
					return nil, err
				}
				return cl.Invoices(ctx, f, p)
			}),
		get("/v1/invoices/:id", "settlement", "An invoice (id anbieter:number), as the registry computed it", schema.Invoice{},
			record(func(id string, _ schema.Uint) schema.Ref { return schema.InvoiceRef(id) })),
		{method: http.MethodGet, path: "/v1/invoices/:id/xrechnung.xml", tag: "settlement",
			summary: "The invoice as XRechnung 3.0 (UBL 2.1 Invoice, or CreditNote for a credit note), BT-10 the customer's Leitweg-ID; 409 names a party's missing detail",
			status:  http.StatusOK, response: "", handler: a.xrechnung},

		// The event feed.
		{method: http.MethodGet, path: "/v1/events", tag: "events",
			summary: "Server-Sent Events: every committed act as one event (id: its ledger position block-txIndex; event: the act; data: an Event), in ledger order, then live. Reconnect with Last-Event-ID to receive exactly the events after it. Without it (or after), the stream starts after the newest event. A comment line is a heartbeat; a final \"disconnect\" event (data: Disconnect) says why the server ended the stream (a slow consumer, shutdown). 404 without a read model.",
			status:  http.StatusOK, query: []queryParam{{"record", "record kind: party, offering, priceModel, agreement, invoice, …"}, {"id", "record id, as the event names it"},
				{"party", "a party the record names (the party itself, customer, supplier, Anbieter)"}, {"act", "act types, comma-separated (e.g. Order,Approve)"},
				{"after", "an event id to start after, for clients that cannot set Last-Event-ID"}},
			response: readmodel.Event{}, handler: a.eventsHandler},

		// Webhooks (member administration).
		{method: http.MethodPost, path: "/v1/webhooks", tag: "events", member: true, body: webhook.NewSubscription{}, response: webhook.Created{},
			summary: "Register a webhook: every event that passes the filter is POSTed to the URL, in ledger order, at least once, signed (Registry-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>), de-duplicated by Registry-Event-Id; retried with exponential backoff and paused after failing too often. The secret is answered once.",
			status:  http.StatusCreated, handler: a.createWebhook},
		{method: http.MethodGet, path: "/v1/webhooks", tag: "events", member: true, summary: "The webhooks and their delivery state",
			status: http.StatusOK, response: Subscriptions{}, handler: a.listWebhooks},
		{method: http.MethodGet, path: "/v1/webhooks/:id", tag: "events", member: true, summary: "A webhook's delivery state: cursor, failures, next attempt, last error, active or paused",
			status: http.StatusOK, response: webhook.Subscription{}, handler: a.getWebhook},
		{method: http.MethodDelete, path: "/v1/webhooks/:id", tag: "events", member: true, summary: "Remove a webhook",
			status: http.StatusNoContent, handler: a.deleteWebhook},
		{method: http.MethodPost, path: "/v1/webhooks/:id/resume", tag: "events", member: true, body: struct{}{},
			summary: "Resume a paused webhook at its cursor (body {})", status: http.StatusOK, response: webhook.Subscription{}, handler: a.resumeWebhook},

		// Auditors.
		{method: http.MethodGet, path: "/v1/agreements/:id/terms", tag: "auditors",
			summary: "The signed terms: canonical terms, every party's EIP-712 signature with the recovered signer and the key registration it matched, and each act's ledger proof (transaction, block, validation code, endorsing orgs)",
			status:  http.StatusOK, query: fromParam, response: SignedTerms{}, handler: a.terms},
		{method: http.MethodGet, path: "/v1/agreements/:id/verification", tag: "auditors",
			summary: "A verification report of the agreement's proof bundle, check by check, against this API's configured roots (a convenience: the bundle is the evidence)",
			status:  http.StatusOK, query: fromParam, response: Verification{}, handler: a.verification},
		{method: http.MethodGet, path: "/v1/agreements/:id/proof", tag: "auditors",
			summary: "The proof bundle: the records, the transactions and blocks that wrote them, and the EIP-712 types — everything `registryctl verify` needs offline",
			status:  http.StatusOK, query: fromParam, response: proof.Bundle{}, handler: a.proofBundle},
		get("/v1/agreements/:id/endorsement-policy", "agreements", "The member orgs whose peers must endorse every change of the agreement", []string{},
			func(ctx context.Context, c *gin.Context) ([]byte, error) {
				orgs, err := cl.EndorsementPolicy(ctx, c.Param("id"))
				if err != nil {
					return nil, err
				}
				return json.Marshal(orgs)
			}),

		// Operations.
		{method: http.MethodGet, path: "/healthz", tag: "operations", summary: "The process can serve (503 once the embedded ledger has stopped committing: restart it)", status: http.StatusOK, response: Health{}, handler: a.healthz},
		{method: http.MethodGet, path: "/readyz", tag: "operations", summary: "The ledger is reachable and commits", status: http.StatusOK, response: Health{}, handler: a.readyz},
		{method: http.MethodGet, path: "/metrics", tag: "operations", summary: "Prometheus metrics", status: http.StatusOK, response: "", handler: gin.WrapH(promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))},
		{method: http.MethodGet, path: "/openapi.json", tag: "operations", summary: "This document", status: http.StatusOK, response: map[string]any{}, handler: a.openAPI},
	}
	return routes
}

// actBody describes an act's body in the OpenAPI document.
type actBody struct {
	Message schema.Message
}

// Health is the answer of /healthz and /readyz.
type Health struct {
	Status string      `json:"status"`
	Height schema.Uint `json:"height,omitempty"`
}

// healthz answers 200 while the process can serve, 503 once the ledger has
// failed (Config.Health), so that a supervisor restarts it.
func (a *API) healthz(c *gin.Context) {
	if err := a.healthy(); err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, Health{Status: "ok"})
}

func (a *API) readyz(c *gin.Context) {
	if err := a.healthy(); err != nil {
		abort(c, err)
		return
	}
	h, err := a.cfg.Client.Height(c.Request.Context())
	if err != nil {
		abort(c, fmt.Errorf("%w: %w", client.ErrUnavailable, err))
		return
	}
	if a.cfg.ReadModel != nil {
		if err := a.cfg.ReadModel.Failed(); err != nil {
			abort(c, fmt.Errorf("%w: %w", newProblem(http.StatusServiceUnavailable, "read_model", "",
				"the read model stopped (restart with --rebuild-read-model once the cause is known)"), err))
			return
		}
	}
	c.JSON(http.StatusOK, Health{Status: "ready", Height: schema.Uint(h)})
}

// eip712 serves the signing material: the chaincode's domain and types, and
// where each act is posted.
func (a *API) eip712(c *gin.Context) { c.JSON(http.StatusOK, a.signing) }

// signingMaterial is what /v1/eip712 answers, from the route table.
func signingMaterial(channel string, routes []route) schema.EIP712 {
	endpoints := map[string]schema.EIP712Endpoint{}
	for _, r := range routes {
		if r.act != "" {
			endpoints[r.act] = schema.EIP712Endpoint{Method: r.method, Path: openAPIPath(r.path), PathField: r.pathField}
		}
	}
	return schema.SigningMaterial(channel, endpoints)
}
