package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/schema"
)

type agreementPage struct {
	Title     string
	Agreement schema.Agreement
	Parties   []partyRole
	Terms     signedTerms
	Invoices  []schema.Invoice
	// Timeline is every signed act of the bundle in ledger order, with the
	// signing party's name.
	Timeline []timelineAct
	Actions  []walletAction
	// TerminateAs are the parties that may terminate (customer, Anbieter).
	TerminateAs []partyRole
	Today       string // the earliest end date (YYYY-MM-DD)
}

// signedTerms is the answer of /v1/agreements/{id}/terms.
type signedTerms struct {
	proof.SignedTerms
	Verified bool         `json:"verified"`
	Failures []proof.Item `json:"failures,omitempty"`
	Notice   string       `json:"notice"`
}

// timelineAct is a signed act on the agreement page's timeline.
type timelineAct struct {
	proof.ActProof
	PartyName string
}

// partyRole is a party of an agreement in its role.
type partyRole struct {
	Role, ID, Name string
}

// walletAction is an act the page offers to sign with a wallet: the
// message fields the page fills in; the wallet script adds nonce and
// deadline, shows the whole message and signs exactly that.
type walletAction struct {
	Act     string // EIP-712 primary type
	Label   string
	Party   partyRole
	Message map[string]string
}

func (s *Site) agreement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	base := "/v1/agreements/" + url.PathEscape(id)
	var p agreementPage
	if err := s.read.get(ctx, base, nil, &p.Agreement); err != nil {
		s.fail(w, r, err)
		return
	}
	a := &p.Agreement
	p.Title = "Vereinbarung " + a.ID
	names := s.partyNames(ctx)
	customer := partyRole{"Kunde", a.Customer, names(a.Customer)}
	anbieter := partyRole{"Anbieter", a.Anbieter, names(a.Anbieter)}
	p.Parties = []partyRole{customer, {"Bereitsteller", a.Supplier, names(a.Supplier)}, anbieter}
	if err := s.read.get(ctx, base+"/terms", nil, &p.Terms); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, act := range p.Terms.Acts {
		p.Timeline = append(p.Timeline, timelineAct{ActProof: act, PartyName: names(act.Party)})
	}
	slices.SortStableFunc(p.Timeline, func(x, y timelineAct) int {
		return cmp.Or(cmp.Compare(x.BlockNumber, y.BlockNumber), cmp.Compare(x.TxIndex, y.TxIndex))
	})
	invoices, err := list[schema.Invoice](ctx, s.read, "/v1/invoices", url.Values{"agreement": {a.ID}, "limit": {"1000"}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Invoices = invoices.Items

	// What may be signed now is the workflow's answer (schema), tried on a
	// copy of the agreement, not the page's.
	today := s.cfg.Now().UTC().Format(time.DateOnly)
	may := func(step func(c *schema.Agreement) error) bool {
		c := *a
		c.Periods = slices.Clone(a.Periods)
		return step(&c) == nil
	}
	for _, by := range []partyRole{customer, anbieter} {
		if may(func(c *schema.Agreement) error { return c.Approve(by.ID, a.FeeVersion, a.TermsHash, today, "") }) {
			p.Actions = append(p.Actions, walletAction{Act: schema.TypeApproveFees, Party: by,
				Label:   "Entgelte der Version " + dec(a.FeeVersion) + " bestätigen als " + by.Role,
				Message: map[string]string{"agreement": a.ID, "party": by.ID, "feeVersion": dec(a.FeeVersion), "termsHash": a.TermsHash}})
		}
	}
	if may(func(c *schema.Agreement) error { return c.Order(a.TermsHash, today) }) {
		p.Actions = append(p.Actions, walletAction{Act: schema.TypePlaceOrder, Label: "Verbindlich bestellen als Kunde", Party: customer,
			Message: map[string]string{"agreement": a.ID, "termsHash": a.TermsHash}})
	}
	for _, by := range []partyRole{customer, anbieter} {
		if may(func(c *schema.Agreement) error { return c.Terminate(by.ID, today, today) }) {
			p.TerminateAs = append(p.TerminateAs, by)
		}
	}
	p.Today = today
	s.render(w, r, http.StatusOK, "agreement", p)
}
