package proof

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/schema"
)

// termsInForce checks that the agreement's verified acts put its recorded
// terms in force. It replays them through the agreement workflow, which
// lives in package schema: from the agreement as the expression of interest
// opened it, every act whose signature verified applies in ledger order —
// fees entered with the terms hash of the fee version they entered (by hand
// or by a fee adjustment), the approvals of the customer and the Anbieter,
// the customer's order, a termination — and the replay must end with the
// record's fee version and terms in force, and with its order date, fee
// periods and end date, which invoices are computed from. The check is
// reported when the agreement has terms in force.
func (c *checker) termsInForce(a *schema.Agreement, fvs map[schema.Uint]*schema.FeeVersion, signed []signedAct) {
	if a.EffectiveVersion == 0 {
		return
	}
	subject := fmt.Sprintf("fee version %d of %s", a.EffectiveVersion, a.ID)
	rp := newReplay(a)
	for _, s := range c.inLedgerOrder(signed) {
		if err := rp.apply(s, fvs, c.byID[s.act.TxID]); err != nil {
			c.r.Add(CheckTermsInForce, subject, err)
			return
		}
	}
	got := &rp.state
	if got.EffectiveVersion != a.EffectiveVersion || got.EffectiveTerms != a.EffectiveTerms {
		c.r.Add(CheckTermsInForce, subject, fmt.Errorf("replayed, the verified acts put %s in force%s; the record has %s in force",
			inForce(got), rp.pending(), inForce(a)))
		return
	}
	// What invoices are computed from: the order date, each fee version's
	// period, the end date. An agreement ordered before the registry kept
	// them has no order date.
	if a.OrderDate != "" && (got.OrderDate != a.OrderDate || !slices.Equal(got.Periods, a.Periods) || got.EndDate != a.EndDate) {
		c.r.Add(CheckTermsInForce, subject, fmt.Errorf("replayed, the verified acts give order date %s, periods %v and end date %q; the record has %s, %v and %q",
			got.OrderDate, got.Periods, got.EndDate, a.OrderDate, a.Periods, a.EndDate))
		return
	}
	c.r.Pass(CheckTermsInForce, subject, rp.detail())
}

// inLedgerOrder returns the acts in the order of their transactions on the
// ledger.
func (c *checker) inLedgerOrder(signed []signedAct) []signedAct {
	out := slices.Clone(signed)
	slices.SortStableFunc(out, func(x, y signedAct) int {
		tx, ty := c.byID[x.act.TxID], c.byID[y.act.TxID]
		if tx == nil || ty == nil { // cannot happen: a signed act's transaction verified
			return 0
		}
		return ledgerOrder(tx, ty)
	})
	return out
}

// replay is an agreement's workflow replayed from its verified acts: the
// state they lead to, and the acts that put its terms in force.
type replay struct {
	state     schema.Agreement
	approvals map[string]*schema.SignedAct // of the latest fee version, by party
	order     *schema.SignedAct            // the order that concluded the agreement
	ordered   schema.Uint                  // the fee version it ordered
	approved  map[string]*schema.SignedAct // the approvals of the terms in force, by party
}

func newReplay(a *schema.Agreement) *replay {
	return &replay{state: a.AtInterest(), approvals: map[string]*schema.SignedAct{}}
}

// apply applies one act through the workflow; an act that does not apply
// is a *refusal.
func (rp *replay) apply(s signedAct, fvs map[schema.Uint]*schema.FeeVersion, tx *Tx) error {
	a := &rp.state
	var err error
	today := ""
	if tx != nil {
		today = tx.Timestamp.UTC().Format(time.DateOnly)
	}
	switch m := s.m.(type) {
	case *schema.ExpressInterestMessage:
		// It opened the agreement: the replay starts where it left it.
	case *schema.EnterFeesMessage:
		fv := fvs[m.FeeVersion]
		if fv == nil {
			err = fmt.Errorf("the bundle does not present fee version %d, which it entered", m.FeeVersion)
			break
		}
		if err = a.EnterFees(fv.Version, fv.TermsHash); err == nil {
			rp.approvals = map[string]*schema.SignedAct{}
		}
	case *schema.AdjustFeesMessage:
		// It entered, among others, the fee version of this agreement that
		// names it as its entry.
		var fv *schema.FeeVersion
		for _, v := range fvs {
			if v.Entered.TxID == s.act.TxID {
				fv = v
			}
		}
		switch {
		case fv == nil:
			err = errors.New("the bundle presents no fee version this fee adjustment entered")
		case a.Status != schema.AgreementConcluded:
			err = fmt.Errorf("a fee adjustment applies to a concluded agreement, not one %s", a.Status)
		default:
			if err = a.EnterFees(fv.Version, fv.TermsHash); err == nil {
				rp.approvals = map[string]*schema.SignedAct{}
			}
		}
	case *schema.ApproveFeesMessage:
		if tx == nil {
			err = errors.New("its transaction is not in the verified evidence")
			break
		}
		wasChange := a.Status == schema.AgreementFeeChangePending
		validFrom := ""
		if fv := fvs[m.FeeVersion]; fv != nil {
			validFrom = fv.ValidFrom
		}
		if err = a.Approve(s.act.Party, m.FeeVersion, m.TermsHash, today, validFrom); err == nil {
			rp.approvals[s.act.Party] = s.act
			if wasChange && a.Status == schema.AgreementConcluded {
				rp.approved = rp.approvals // the fee change came into force
			}
		}
	case *schema.PlaceOrderMessage:
		if err = a.MayOrder(s.act.Party); err != nil {
			break
		}
		if tx == nil {
			err = errors.New("its transaction is not in the verified evidence")
			break
		}
		if err = a.Order(m.TermsHash, today); err == nil {
			rp.order, rp.ordered, rp.approved = s.act, a.FeeVersion, rp.approvals
		}
	case *schema.TerminateMessage:
		if tx == nil {
			err = errors.New("its transaction is not in the verified evidence")
			break
		}
		err = a.Terminate(s.act.Party, m.EndDate, today)
	default:
		err = fmt.Errorf("%s is not an act of the agreement workflow", s.m.PrimaryType())
	}
	if err != nil {
		return &refusal{act: fmt.Sprintf("%s by %s in tx %s", s.m.PrimaryType(), s.act.Party, s.act.TxID), standing: rp.standing(), err: err}
	}
	return nil
}

// standing says where the replay has brought the agreement, in words.
func (rp *replay) standing() string {
	a := &rp.state
	switch a.Status {
	case schema.AgreementInterest:
		return "no fees are entered"
	case schema.AgreementFeesEntered, schema.AgreementFeeChangePending:
		var missing []string
		if !a.ApprovedCustomer {
			missing = append(missing, a.Customer)
		}
		if !a.ApprovedAnbieter && a.Anbieter != a.Customer {
			missing = append(missing, a.Anbieter)
		}
		return fmt.Sprintf("fee version %d awaits the approval of %s", a.FeeVersion, strings.Join(missing, " and "))
	case schema.AgreementApproved:
		return fmt.Sprintf("fee version %d awaits the order of %s", a.FeeVersion, a.Customer)
	case schema.AgreementConcluded:
		return fmt.Sprintf("fee version %d is in force", a.EffectiveVersion)
	case schema.AgreementTerminated:
		return "the agreement is terminated at " + a.EndDate
	}
	return "the agreement is " + a.Status
}

// pending is what the replay still awaits, if anything, for a report.
func (rp *replay) pending() string {
	switch rp.state.Status {
	case schema.AgreementFeesEntered, schema.AgreementFeeChangePending, schema.AgreementApproved:
		return ": " + rp.standing()
	}
	return ""
}

// detail names the approvals and the order that put the terms in force.
func (rp *replay) detail() string {
	a := &rp.state
	d := fmt.Sprintf("terms %s approved by %s (tx %s) and %s (tx %s)", a.EffectiveTerms,
		a.Customer, rp.approved[a.Customer].TxID, a.Anbieter, rp.approved[a.Anbieter].TxID)
	if rp.ordered == a.EffectiveVersion {
		return d + fmt.Sprintf(", then ordered by %s (tx %s)", a.Customer, rp.order.TxID)
	}
	return d + fmt.Sprintf(", a fee change after %s ordered fee version %d (tx %s)", a.Customer, rp.ordered, rp.order.TxID)
}

// inForce names the terms an agreement has in force.
func inForce(a *schema.Agreement) string {
	if a.EffectiveVersion == 0 {
		return "no terms"
	}
	return fmt.Sprintf("fee version %d (terms %s)", a.EffectiveVersion, a.EffectiveTerms)
}

// refusal is an act the replay could not apply: the act, where the acts
// before it had brought the agreement, and why it does not apply there.
type refusal struct {
	act      string
	standing string
	err      error
}

func (r *refusal) Error() string {
	why := r.err.Error()
	// The workflow's refusals are *schema.Error, whose own text is JSON made
	// to cross the Fabric boundary: a report states the rule.
	if e, ok := errors.AsType[*schema.Error](r.err); ok {
		why = e.Rule
	}
	return fmt.Sprintf("%s does not apply: %s; %s", r.act, r.standing, why)
}

func (r *refusal) Unwrap() error { return r.err }
