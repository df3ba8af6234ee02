package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/efa-marktplatz/registry/chaincode"
	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// route is one endpoint: how it is served and how the OpenAPI document
// describes it. Routes and document come from this one table.
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

// ActRequest is the body of an act: the acting party's EIP-712 message and
// signature. AddKey also carries the new key's proof of possession.
type ActRequest struct {
	Message           json.RawMessage `json:"message"`
	Signature         string          `json:"signature,omitempty"`
	ProofOfPossession string          `json:"proofOfPossession,omitempty"`
}

// Stamped is what every act answers besides the record it changed.
type Stamped struct {
	TxID        string `json:"txId"`
	BlockNumber uint64 `json:"blockNumber"`
}

// ListPage is a page of a listing.
type ListPage struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// EIP712 is the signing material portals fetch.
type EIP712 struct {
	Domain       map[string]string         `json:"domain"`
	Types        map[string][]EIP712Field  `json:"types"`
	PrimaryTypes []string                  `json:"primaryTypes"`
	Records      map[string]string         `json:"records"`
	Wallets      string                    `json:"wallets"`
	Endpoints    map[string]EIP712Endpoint `json:"endpoints"`
}

// EIP712Field is one field of a type.
type EIP712Field struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// EIP712Endpoint says where an act is posted; PathField names the message
// field whose value is the path's {id}.
type EIP712Endpoint struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	PathField string `json:"pathField,omitempty"`
}

func (a *API) routes() {
	for _, r := range a.table() {
		a.engine.Handle(r.method, r.path, r.handler)
	}
}

// table lists every endpoint.
func (a *API) table() []route {
	act := func(method, path, tag, summary, primary, pathField string, status int, m chaincode.Message) route {
		r := route{method: method, path: path, tag: tag, summary: summary, status: status, act: primary, pathField: pathField,
			body: actBody{Message: m}}
		r.handler = a.actHandler(r)
		return r
	}
	get := func(path, tag, summary string, response any, fn func(c *gin.Context) (string, []string)) route {
		r := route{method: http.MethodGet, path: path, tag: tag, summary: summary, status: http.StatusOK, response: response}
		r.handler = a.readHandler(fn)
		return r
	}
	list := func(path, tag, summary string, item any, filters []queryParam, fn func(c *gin.Context) (string, []string, error)) route {
		r := route{method: http.MethodGet, path: path, tag: tag, summary: summary, status: http.StatusOK, response: item, list: true,
			query: append(append([]queryParam{}, filters...), pageParams...)}
		r.handler = a.listHandler(fn)
		return r
	}
	id := func(c *gin.Context) string { return c.Param("id") }
	routes := []route{
		{method: http.MethodGet, path: "/v1/eip712", tag: "signing", summary: "The EIP-712 domain and the types of every act (eth_signTypedData_v4 shape)",
			status: http.StatusOK, response: EIP712{}, handler: a.eip712},

		// Member administration.
		{method: http.MethodPost, path: "/v1/parties", tag: "parties", summary: "Register a party the member vouches for (member token)",
			status: http.StatusCreated, member: true, body: chaincode.PartyRegistration{}, response: chaincode.Party{}, handler: a.registerParty},
		{method: http.MethodPut, path: "/v1/parties/:id/in-house", tag: "parties", summary: "Replace the Anbieter the party may order from (§108 GWB; member token)",
			status: http.StatusOK, member: true, body: []string{}, response: chaincode.Party{}, handler: a.setInHouse},

		// Acts of parties.
		act(http.MethodPost, "/v1/parties/:id/keys", "parties", "Add a signing key: signed by a current key of the party, or with the member token; always with the new key's proof of possession",
			chaincode.TypeAddKey, "party", http.StatusCreated, &chaincode.AddKeyMessage{}),
		act(http.MethodPost, "/v1/parties/:id/keys/revocation", "parties", "Revoke a signing key: signed by a current key of the party, or with the member token",
			chaincode.TypeRevokeKey, "party", http.StatusOK, &chaincode.RevokeKeyMessage{}),
		act(http.MethodPost, "/v1/offerings", "offerings", "Submit an offering, or a new version of one (supplier)",
			chaincode.TypeSubmitOffering, "", http.StatusCreated, &chaincode.SubmitOfferingMessage{}),
		act(http.MethodPost, "/v1/offerings/:id/acceptance", "offerings", "Accept (publish) the latest version (Anbieter)",
			chaincode.TypeAcceptOffering, "offering", http.StatusOK, &chaincode.AcceptOfferingMessage{}),
		act(http.MethodPost, "/v1/offerings/:id/withdrawal", "offerings", "Withdraw the offering (supplier or Anbieter)",
			chaincode.TypeWithdrawOffering, "offering", http.StatusOK, &chaincode.WithdrawOfferingMessage{}),
		act(http.MethodPost, "/v1/offerings/:id/price-models", "price models", "Publish the next price-model version (supplier)",
			chaincode.TypePublishPriceModel, "offering", http.StatusCreated, &chaincode.PublishPriceModelMessage{}),
		act(http.MethodPost, "/v1/agreements", "agreements", "Express interest: open a usage agreement (customer)",
			chaincode.TypeExpressInterest, "", http.StatusCreated, &chaincode.ExpressInterestMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/fees", "agreements", "Enter the next fee version (supplier)",
			chaincode.TypeEnterFees, "agreement", http.StatusCreated, &chaincode.EnterFeesMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/approvals", "agreements", "Approve the terms of the latest fee version (customer or Anbieter)",
			chaincode.TypeApproveFees, "agreement", http.StatusOK, &chaincode.ApproveFeesMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/order", "agreements", "Place the binding order (customer)",
			chaincode.TypePlaceOrder, "agreement", http.StatusOK, &chaincode.PlaceOrderMessage{}),
		act(http.MethodPost, "/v1/agreements/:id/termination", "agreements", "Terminate the agreement at an end date (customer or Anbieter)",
			chaincode.TypeTerminate, "agreement", http.StatusOK, &chaincode.TerminateMessage{}),

		// Reads.
		get("/v1/parties/:id", "parties", "A party", chaincode.Party{}, func(c *gin.Context) (string, []string) { return "GetParty", []string{id(c)} }),
		get("/v1/parties/:id/history", "parties", "Every committed change of a party, newest first", []chaincode.HistoryEntry{},
			func(c *gin.Context) (string, []string) { return "History", []string{"party", id(c)} }),
		list("/v1/offerings", "offerings", "Offerings, optionally filtered by one of themenfeld, supplier, anbieter, status, leika", chaincode.Offering{},
			[]queryParam{{"themenfeld", "one of the 14 OZG Themenfelder"}, {"supplier", "party id of the supplier"}, {"anbieter", "party id of the Anbieter"},
				{"status", "SUBMITTED, PUBLISHED or WITHDRAWN"}, {"leika", "a LeiKa key (14 digits)"}},
			func(c *gin.Context) (string, []string, error) {
				by, value, err := oneFilter(c, "themenfeld", "supplier", "anbieter", "status", "leika")
				return "ListOfferings", []string{by, value}, err
			}),
		get("/v1/offerings/:id", "offerings", "The current state of an offering", chaincode.Offering{},
			func(c *gin.Context) (string, []string) { return "GetOffering", []string{id(c)} }),
		get("/v1/offerings/:id/versions/:version", "offerings", "One version of an offering, as submitted", chaincode.OfferingVersion{},
			func(c *gin.Context) (string, []string) {
				return "GetOfferingVersion", []string{id(c), c.Param("version")}
			}),
		get("/v1/offerings/:id/history", "offerings", "Every committed change of an offering, newest first", []chaincode.HistoryEntry{},
			func(c *gin.Context) (string, []string) { return "History", []string{"offering", id(c)} }),
		list("/v1/offerings/:id/price-models", "price models", "The price-model versions of an offering, oldest first", chaincode.PriceModel{}, nil,
			func(c *gin.Context) (string, []string, error) { return "ListPriceModels", []string{id(c)}, nil }),
		get("/v1/offerings/:id/price-models/:version", "price models", "A price-model version", chaincode.PriceModel{},
			func(c *gin.Context) (string, []string) { return "GetPriceModel", []string{id(c), c.Param("version")} }),
		list("/v1/agreements", "agreements", "Agreements, optionally filtered by one of customer, supplier, anbieter, status", chaincode.Agreement{},
			[]queryParam{{"customer", "party id of the customer"}, {"supplier", "party id of the supplier"}, {"anbieter", "party id of the Anbieter"},
				{"status", "INTEREST, FEES_ENTERED, APPROVED, CONCLUDED, FEE_CHANGE_PENDING or TERMINATED"}},
			func(c *gin.Context) (string, []string, error) {
				by, value, err := oneFilter(c, "customer", "supplier", "anbieter", "status")
				return "ListAgreements", []string{by, value}, err
			}),
		get("/v1/agreements/:id", "agreements", "An agreement", chaincode.Agreement{},
			func(c *gin.Context) (string, []string) { return "GetAgreement", []string{id(c)} }),
		get("/v1/agreements/:id/history", "agreements", "Every committed change of an agreement, newest first", []chaincode.HistoryEntry{},
			func(c *gin.Context) (string, []string) { return "History", []string{"agreement", id(c)} }),
		get("/v1/agreements/:id/fees/:version", "agreements", "A fee version of an agreement and the terms it makes", chaincode.FeeVersion{},
			func(c *gin.Context) (string, []string) { return "GetFeeVersion", []string{id(c), c.Param("version")} }),
		// Auditors.
		{method: http.MethodGet, path: "/v1/agreements/:id/terms", tag: "auditors",
			summary: "The signed terms: canonical terms, every party's EIP-712 signature with the recovered signer and the key registration it matched, and each act's ledger proof (transaction, block, validation code, endorsing orgs)",
			status:  http.StatusOK, query: []queryParam{{"from", "embedded ledger: start the bundle's chain of block headers at this block (a checkpoint you pinned); default: the first block of the evidence"}}, response: SignedTerms{}, handler: a.terms},
		{method: http.MethodGet, path: "/v1/agreements/:id/verification", tag: "auditors",
			summary: "A verification report of the agreement's proof bundle, check by check, against this API's configured roots (a convenience: the bundle is the evidence)",
			status:  http.StatusOK, query: []queryParam{{"from", "embedded ledger: start the bundle's chain of block headers at this block (a checkpoint you pinned); default: the first block of the evidence"}}, response: Verification{}, handler: a.verification},
		{method: http.MethodGet, path: "/v1/agreements/:id/proof", tag: "auditors",
			summary: "The proof bundle: the records, the transactions and blocks that wrote them, and the EIP-712 types — everything `registryctl verify` needs offline",
			status:  http.StatusOK, query: []queryParam{{"from", "embedded ledger: start the bundle's chain of block headers at this block (a checkpoint you pinned); default: the first block of the evidence"}}, response: proof.Bundle{}, handler: a.proofBundle},
		get("/v1/agreements/:id/endorsement-policy", "agreements", "The member orgs whose peers must endorse every change of the agreement", []string{},
			func(c *gin.Context) (string, []string) { return "GetEndorsementPolicy", []string{id(c)} }),

		// Operations.
		{method: http.MethodGet, path: "/healthz", tag: "operations", summary: "The process is alive", status: http.StatusOK, response: Health{}, handler: a.healthz},
		{method: http.MethodGet, path: "/readyz", tag: "operations", summary: "The ledger is reachable", status: http.StatusOK, response: Health{}, handler: a.readyz},
		{method: http.MethodGet, path: "/metrics", tag: "operations", summary: "Prometheus metrics", status: http.StatusOK, response: "", handler: gin.WrapH(promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))},
		{method: http.MethodGet, path: "/openapi.json", tag: "operations", summary: "This document", status: http.StatusOK, response: map[string]any{}, handler: a.openAPI},
	}
	return routes
}

// actBody describes an act's body in the OpenAPI document.
type actBody struct {
	Message chaincode.Message
}

// Health is the answer of /healthz and /readyz.
type Health struct {
	Status string `json:"status"`
	Height uint64 `json:"height,omitempty"`
}

func (a *API) healthz(c *gin.Context) { c.JSON(http.StatusOK, Health{Status: "ok"}) }

func (a *API) readyz(c *gin.Context) {
	h, err := a.cfg.Client.Height(c.Request.Context())
	if err != nil {
		abort(c, fmt.Errorf("%w: %w", client.ErrUnavailable, err))
		return
	}
	c.JSON(http.StatusOK, Health{Status: "ready", Height: h})
}

func (a *API) eip712(c *gin.Context) {
	d := chaincode.Domain(a.cfg.Channel)
	out := EIP712{
		Domain:       map[string]string{"name": d.Name, "version": d.Version, "salt": d.Salt},
		Types:        map[string][]EIP712Field{},
		PrimaryTypes: chaincode.ActTypes,
		Records: map[string]string{
			chaincode.TypeOffering: "the hash of an offering version", chaincode.TypePriceModel: "the hash of a price-model version",
			chaincode.TypeTerms: "the terms hash of a fee version",
		},
		Wallets:   "eth_signTypedData_v4 takes these types as they are; ethers' signTypedData wants only the primary type, without EIP712Domain",
		Endpoints: map[string]EIP712Endpoint{},
	}
	for name, fields := range chaincode.Types() {
		for _, f := range fields {
			out.Types[name] = append(out.Types[name], EIP712Field{Name: f.Name, Type: f.Type})
		}
	}
	for _, r := range a.table() {
		if r.act != "" {
			out.Endpoints[r.act] = EIP712Endpoint{Method: r.method, Path: openAPIPath(r.path), PathField: r.pathField}
		}
	}
	c.JSON(http.StatusOK, out)
}

// decodeJSON reads a body strictly into v.
func decodeJSON(c *gin.Context, v any) error {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newProblem(http.StatusRequestEntityTooLarge, "too_large", "body", fmt.Sprintf("the body exceeds %d bytes", tooBig.Limit))
		}
		return badRequest("body", "cannot be read: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("body", "must be JSON of the documented shape: %v", err)
	}
	if dec.More() {
		return badRequest("body", "must be one JSON value, without trailing data")
	}
	return nil
}

// actHandler relays a party's act: it checks the message and the signature
// (the signer is recovered, never read from the body), binds the message to
// the path, and submits it.
func (a *API) actHandler(r route) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !a.limiter.allow(c.ClientIP()) {
			abort(c, newProblem(http.StatusTooManyRequests, "rate_limited", "", "too many acts from this client; retry later"))
			return
		}
		var req ActRequest
		if err := decodeJSON(c, &req); err != nil {
			abort(c, err)
			return
		}
		if len(req.Message) == 0 {
			abort(c, badRequest("message", "is required: the EIP-712 message of the act"))
			return
		}
		m, err := chaincode.NewMessage(r.act)
		if err != nil {
			abort(c, err)
			return
		}
		if err := chaincode.DecodeMessage(string(req.Message), m); err != nil {
			abort(c, err)
			return
		}
		typed, err := chaincode.TypedMessage(m)
		if err != nil {
			abort(c, err)
			return
		}
		if r.pathField != "" && typed[r.pathField] != c.Param("id") {
			abort(c, badRequest("message."+r.pathField, "must equal the %s in the path (%s)", r.pathField, c.Param("id")))
			return
		}
		asMember := false
		switch r.act {
		case chaincode.TypeAddKey:
			if req.ProofOfPossession == "" {
				abort(c, badRequest("proofOfPossession", "is required: the new key's signature of the same message"))
				return
			}
			asMember = req.Signature == ""
		case chaincode.TypeRevokeKey:
			asMember = req.Signature == ""
		}
		if asMember && !a.requireMember(c) {
			return
		}
		digest, err := chaincode.Digest(a.cfg.Channel, r.act, typed)
		if err != nil {
			abort(c, badRequest("message", "%v", err))
			return
		}
		for field, sig := range map[string]string{"signature": req.Signature, "proofOfPossession": req.ProofOfPossession} {
			if sig == "" {
				continue
			}
			if _, err := chaincode.RecoverSigner(digest, sig); err != nil {
				abort(c, newProblem(http.StatusUnauthorized, "unauthorized", field, err.Error()))
				return
			}
		}
		canonical, err := json.Marshal(m)
		if err != nil {
			abort(c, err)
			return
		}
		var (
			out []byte
			res *client.Result
		)
		switch {
		case asMember && r.act == chaincode.TypeAddKey:
			res, err = a.cfg.Admin.Submit(c.Request.Context(), "AddKeyAsMember", string(canonical), req.ProofOfPossession)
		case asMember:
			res, err = a.cfg.Admin.Submit(c.Request.Context(), "RevokeKeyAsMember", string(canonical))
		default:
			var pop []string
			if req.ProofOfPossession != "" {
				pop = []string{req.ProofOfPossession}
			}
			out, res, err = a.cfg.Client.Act(c.Request.Context(), r.act, string(canonical), req.Signature, pop...)
		}
		a.countSubmit(r.act, err)
		if err != nil {
			abort(c, err)
			return
		}
		if out == nil {
			out = res.Payload
		}
		a.stamped(c, r.status, out, res)
	}
}

// countSubmit records the outcome of a relayed act.
func (a *API) countSubmit(act string, err error) {
	outcome := "VALID"
	var (
		ce *client.CommitError
		re *chaincode.Error
	)
	switch {
	case err == nil:
	case errors.As(err, &re):
		outcome = "refused_" + string(re.Code)
	case errors.As(err, &ce):
		outcome = ce.ValidationCode.String()
	case errors.Is(err, client.ErrUnavailable):
		outcome = "unavailable"
	default:
		outcome = "error"
	}
	a.metrics.submits.WithLabelValues(act, outcome).Inc()
}

// stamped answers with the record and the transaction that changed it.
func (a *API) stamped(c *gin.Context, status int, record []byte, res *client.Result) {
	c.Set(txIDKey, res.TxID)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(record, &obj); err != nil {
		abort(c, fmt.Errorf("decode record: %w", err))
		return
	}
	obj["txId"], _ = json.Marshal(res.TxID)
	obj["blockNumber"], _ = json.Marshal(res.BlockNumber)
	c.JSON(status, obj)
}

func (a *API) registerParty(c *gin.Context) {
	if !a.requireMember(c) {
		return
	}
	var reg chaincode.PartyRegistration
	if err := decodeJSON(c, &reg); err != nil {
		abort(c, err)
		return
	}
	if reg.InHouse == nil {
		reg.InHouse = []string{}
	}
	raw, err := json.Marshal(reg)
	if err != nil {
		abort(c, err)
		return
	}
	res, err := a.cfg.Admin.Submit(c.Request.Context(), "RegisterParty", string(raw))
	if err != nil {
		abort(c, err)
		return
	}
	a.stamped(c, http.StatusCreated, res.Payload, res)
}

func (a *API) setInHouse(c *gin.Context) {
	if !a.requireMember(c) {
		return
	}
	var ids []string
	if err := decodeJSON(c, &ids); err != nil {
		abort(c, err)
		return
	}
	raw, err := json.Marshal(ids)
	if err != nil {
		abort(c, err)
		return
	}
	res, err := a.cfg.Admin.Submit(c.Request.Context(), "SetInHouseRelationships", c.Param("id"), string(raw))
	if err != nil {
		abort(c, err)
		return
	}
	a.stamped(c, http.StatusOK, res.Payload, res)
}

// evaluate runs a query, answering from the read cache while state is unchanged.
func (a *API) evaluate(c *gin.Context, function string, args ...string) ([]byte, error) {
	version, cacheable := a.cfg.Client.StateVersion()
	key := cacheKey(function, args)
	if cacheable {
		if out, ok := a.cache.get(version, key); ok {
			return out, nil
		}
	}
	out, err := a.cfg.Client.Evaluate(c.Request.Context(), function, args...)
	if err == nil && cacheable {
		a.cache.put(version, key, out)
	}
	return out, err
}

// readHandler answers a query with the chaincode's JSON.
func (a *API) readHandler(fn func(c *gin.Context) (string, []string)) gin.HandlerFunc {
	return func(c *gin.Context) {
		function, args := fn(c)
		out, err := a.evaluate(c, function, args...)
		if err != nil {
			abort(c, err)
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", out)
	}
}

// listHandler pages through a listing; the cursor wraps the ledger's bookmark.
func (a *API) listHandler(fn func(c *gin.Context) (string, []string, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		function, args, err := fn(c)
		if err != nil {
			abort(c, err)
			return
		}
		limit := 50
		if s := c.Query("limit"); s != "" {
			if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 1000 {
				abort(c, badRequest("limit", "must be a whole number from 1 to 1000"))
				return
			}
		}
		bookmark, err := base64.RawURLEncoding.DecodeString(c.Query("cursor"))
		if err != nil {
			abort(c, badRequest("cursor", "is not a cursor this API issued"))
			return
		}
		args = append(args, strconv.Itoa(limit), string(bookmark))
		var page chaincode.Page[json.RawMessage]
		raw, err := a.evaluate(c, function, args...)
		if err == nil {
			err = json.Unmarshal(raw, &page)
		}
		if err != nil {
			var re *chaincode.Error
			if errors.As(err, &re) && re.Field == "bookmark" {
				err = badRequest("cursor", "is not a cursor of this listing")
			}
			abort(c, err)
			return
		}
		out := ListPage{Items: page.Items}
		if page.Bookmark != "" {
			out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Bookmark))
		}
		c.JSON(http.StatusOK, out)
	}
}

// oneFilter returns the one filter a listing was given (by and value), or none.
func oneFilter(c *gin.Context, names ...string) (string, string, error) {
	by, value := "", ""
	for _, n := range names {
		if v, ok := c.GetQuery(n); ok {
			if by != "" {
				return "", "", badRequest(n, "one filter at a time: %s is given already", by)
			}
			if v == "" {
				return "", "", badRequest(n, "must not be empty")
			}
			by, value = n, v
		}
	}
	return by, value, nil
}
