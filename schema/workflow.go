package schema

import "slices"

// The agreement workflow, stated once: which act moves an agreement from
// which status to which, and which fee version comes into force. The
// contract applies it to every act on an agreement, after checking who
// signed; the offline verifier replays an agreement's verified acts through
// it and compares the outcome with the record. Refusals are *Error values
// naming the message field, as the contract reports them.
//
//	INTEREST ─EnterFees→ FEES_ENTERED ─Approve×2→ APPROVED ─Order→ CONCLUDED
//	CONCLUDED ─EnterFees→ FEE_CHANGE_PENDING ─Approve×2→ CONCLUDED (the new version in force)
//	any but TERMINATED ─Terminate→ TERMINATED

// AtInterest returns the agreement as the expression of interest opened
// it: its offering and parties, no fees, no approvals, nothing in force.
func (a Agreement) AtInterest() Agreement {
	a.Status = AgreementInterest
	a.FeeVersion, a.TermsHash = 0, ""
	a.ApprovedCustomer, a.ApprovedAnbieter = false, false
	a.EffectiveVersion, a.EffectiveTerms = 0, ""
	a.EndDate = ""
	a.OrderDate, a.Periods = "", nil
	a.ActLog, a.Updated = ActLog{}, Stamp{}
	return a
}

// CanEnterFees reports whether fee version v may be entered now.
func (a *Agreement) CanEnterFees(v Uint) error {
	switch {
	case a.Status == AgreementTerminated:
		return Conflict("message.agreement", "agreement %s is terminated", a.ID)
	case v != a.FeeVersion+1:
		return Conflict("message.feeVersion", "the next fee version of agreement %s is %d; entered fee versions are write-once", a.ID, a.FeeVersion+1)
	}
	return nil
}

// EnterFees makes fee version v, whose terms hash to terms, the latest: the
// approvals start afresh, and after the order it is a fee change.
func (a *Agreement) EnterFees(v Uint, terms string) error {
	if err := a.CanEnterFees(v); err != nil {
		return err
	}
	a.FeeVersion, a.TermsHash = v, terms
	a.ApprovedCustomer, a.ApprovedAnbieter = false, false
	if a.Status == AgreementConcluded || a.Status == AgreementFeeChangePending {
		a.Status = AgreementFeeChangePending
	} else {
		a.Status = AgreementFeesEntered
	}
	return nil
}

// MayApprove reports whether party approves fees of the agreement: its
// customer or its Anbieter.
func (a *Agreement) MayApprove(party string) error {
	if party != a.Customer && party != a.Anbieter {
		return Forbidden("message.party", "only the customer %s or the Anbieter %s approve agreement %s", a.Customer, a.Anbieter, a.ID)
	}
	return nil
}

// Approve records party's approval of fee version v, whose terms hash to
// terms, on the date today. With both approvals a first fee version awaits
// the order, and a fee change comes into force: from today, or from
// validFrom (the version's own first day) if that is later.
func (a *Agreement) Approve(party string, v Uint, terms, today, validFrom string) error {
	if err := a.MayApprove(party); err != nil {
		return err
	}
	switch {
	case a.Status != AgreementFeesEntered && a.Status != AgreementFeeChangePending:
		return Conflict("message.agreement", "agreement %s is %s; there are no entered fees to approve", a.ID, a.Status)
	case v != a.FeeVersion:
		return Conflict("message.feeVersion", "the fee version to approve is %d", a.FeeVersion)
	case terms != a.TermsHash:
		return Conflict("message.termsHash", "does not match the terms of fee version %d (%s)", a.FeeVersion, a.TermsHash)
	case party == a.Customer && a.ApprovedCustomer, party == a.Anbieter && a.ApprovedAnbieter:
		return Conflict("message.party", "party %s already approved fee version %d", party, a.FeeVersion)
	}
	if party == a.Customer {
		a.ApprovedCustomer = true
	}
	if party == a.Anbieter {
		a.ApprovedAnbieter = true
	}
	if a.ApprovedCustomer && a.ApprovedAnbieter {
		if a.Status == AgreementFeeChangePending {
			a.Status = AgreementConcluded
			a.EffectiveVersion, a.EffectiveTerms = a.FeeVersion, a.TermsHash
			a.startPeriod(a.FeeVersion, max(today, validFrom))
		} else {
			a.Status = AgreementApproved
		}
	}
	return nil
}

// MayOrder reports whether party places the binding order: the customer.
func (a *Agreement) MayOrder(party string) error {
	if party != a.Customer {
		return Forbidden("signature", "only the customer %s places the order of agreement %s", a.Customer, a.ID)
	}
	return nil
}

// Order is the customer's binding order of the approved terms, which hash
// to terms, on the date today: the agreement is concluded and they come
// into force.
func (a *Agreement) Order(terms, today string) error {
	switch {
	case a.Status != AgreementApproved:
		return Conflict("message.agreement", "agreement %s is %s; an order needs terms approved by customer and Anbieter", a.ID, a.Status)
	case terms != a.TermsHash:
		return Conflict("message.termsHash", "does not match the approved terms (%s)", a.TermsHash)
	}
	a.Status = AgreementConcluded
	a.EffectiveVersion, a.EffectiveTerms = a.FeeVersion, a.TermsHash
	a.OrderDate = today
	a.startPeriod(a.FeeVersion, today)
	return nil
}

// startPeriod puts fee version v in force from the date from. A period that
// would only have begun on or after from never takes effect and is dropped,
// so the periods' first days ascend strictly.
func (a *Agreement) startPeriod(v Uint, from string) {
	for len(a.Periods) > 0 && a.Periods[len(a.Periods)-1].From >= from {
		a.Periods = a.Periods[:len(a.Periods)-1]
	}
	a.Periods = append(a.Periods, FeePeriod{FeeVersion: v, From: from})
}

// MayTerminate reports whether party terminates the agreement: its customer
// or its Anbieter.
func (a *Agreement) MayTerminate(party string) error {
	if party != a.Customer && party != a.Anbieter {
		return Forbidden("message.party", "only the customer %s or the Anbieter %s terminate agreement %s", a.Customer, a.Anbieter, a.ID)
	}
	return nil
}

// Terminate ends the agreement at endDate (YYYY-MM-DD), which must not lie
// before today, the date of the transaction.
func (a *Agreement) Terminate(party, endDate, today string) error {
	if err := a.MayTerminate(party); err != nil {
		return err
	}
	switch {
	case a.Status == AgreementTerminated:
		return Conflict("message.agreement", "agreement %s is already terminated", a.ID)
	case endDate < today:
		return Invalid("message.endDate", "must not be before the transaction date %s", today)
	}
	a.Status = AgreementTerminated
	a.EndDate = endDate
	return nil
}

// SameState reports whether two agreements stand at the same point of the
// workflow: status, latest fee version and its approvals, the terms in
// force and the end date.
func (a *Agreement) SameState(b *Agreement) bool {
	return a.Status == b.Status && a.FeeVersion == b.FeeVersion && a.TermsHash == b.TermsHash &&
		a.ApprovedCustomer == b.ApprovedCustomer && a.ApprovedAnbieter == b.ApprovedAnbieter &&
		a.EffectiveVersion == b.EffectiveVersion && a.EffectiveTerms == b.EffectiveTerms && a.EndDate == b.EndDate &&
		a.OrderDate == b.OrderDate && slices.Equal(a.Periods, b.Periods)
}
