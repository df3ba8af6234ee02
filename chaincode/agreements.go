package chaincode

import (
	"fmt"
	"slices"
	"strings"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/statebased"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// agreements are stored under their id and listed by customer, supplier,
// Anbieter, status and offering.
var agreements = kind[schema.Agreement]{
	record:  schema.RecordAgreement,
	id:      func(a *schema.Agreement) string { return a.ID },
	updated: func(a *schema.Agreement) *schema.Stamp { return &a.Updated },
	log:     func(a *schema.Agreement) *schema.ActLog { return &a.ActLog },
	status:  func(a *schema.Agreement) string { return a.Status },
	indexes: func(a *schema.Agreement) []indexEntry {
		return []indexEntry{
			index(schema.RecordAgreement, "customer", a.Customer, a.ID),
			index(schema.RecordAgreement, "supplier", a.Supplier, a.ID),
			index(schema.RecordAgreement, "anbieter", a.Anbieter, a.ID),
			index(schema.RecordAgreement, "status", a.Status, a.ID),
			index(schema.RecordAgreement, "offering", a.Offering, a.ID),
		}
	},
}

// ExpressInterest opens a usage agreement for a published offering, signed
// by the customer, who must have an in-house relationship (§108 GWB) with the
// offering's Anbieter. The agreement's key gets a state-based endorsement
// policy naming the member orgs that vouch for the customer and the Anbieter.
func (c *Registry) ExpressInterest(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.ExpressInterestMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	customer, err := parties.load(t, "message.customer", m.Customer)
	if err != nil {
		return "", err
	}
	if !slices.Contains(schema.CustomerKinds, customer.Kind) {
		return "", schema.Invalid("message.customer", "party %s is a %s; a customer is one of %s", customer.ID, customer.Kind, strings.Join(schema.CustomerKinds, ", "))
	}
	if err := t.signedBy(v, customer); err != nil {
		return "", err
	}
	o, err := offerings.load(t, "message.offering", m.Offering)
	if err != nil {
		return "", err
	}
	if o.Status == schema.OfferingWithdrawn || o.PublishedVersion == 0 {
		return "", schema.Conflict("message.offering", "offering %s is not on the marketplace (%s)", o.Offering, o.Status)
	}
	if !slices.Contains(customer.InHouse, o.Anbieter) {
		return "", schema.Forbidden("message.customer", "party %s has no in-house relationship (§108 GWB) with the Anbieter %s", customer.ID, o.Anbieter)
	}
	if found, err := agreements.exists(t, m.Agreement); err != nil {
		return "", err
	} else if found {
		return "", schema.Conflict("message.agreement", "agreement %s exists", m.Agreement)
	}
	if m.ParentAgreement != "" {
		if err := t.checkParent(m.ParentAgreement, o.Offering); err != nil {
			return "", err
		}
	}
	anbieter, err := parties.load(t, "message.offering", o.Anbieter)
	if err != nil {
		return "", err
	}
	members := []string{customer.VouchedBy}
	if anbieter.VouchedBy != customer.VouchedBy {
		members = append(members, anbieter.VouchedBy)
	}
	slices.Sort(members)
	a := &schema.Agreement{
		ID: m.Agreement, Offering: o.Offering, OfferingVersion: o.PublishedVersion, OfferingHash: o.PublishedHash,
		Customer: customer.ID, Supplier: o.Supplier, Anbieter: o.Anbieter, ParentAgreement: m.ParentAgreement,
		Status: schema.AgreementInterest, EndorsingMembers: members,
	}
	out, err := agreements.save(t, "InterestExpressed", a, nil, &v.act)
	if err != nil {
		return "", err
	}
	if err := t.endorsementPolicy(a); err != nil {
		return "", err
	}
	return out, nil
}

// checkParent checks that a sub-agreement's parent is a concluded agreement
// for the same offering.
func (t *tx) checkParent(id, offering string) error {
	parent, err := agreements.load(t, "message.parentAgreement", id)
	if err != nil {
		return err
	}
	if parent.Offering != offering {
		return schema.Invalid("message.parentAgreement", "agreement %s is for offering %s, not %s", parent.ID, parent.Offering, offering)
	}
	if parent.Status != schema.AgreementConcluded && parent.Status != schema.AgreementFeeChangePending {
		return schema.Conflict("message.parentAgreement", "agreement %s is %s; a sub-agreement needs a concluded parent", parent.ID, parent.Status)
	}
	return nil
}

// endorsementPolicy sets the agreement key's state-based endorsement policy:
// a peer of every member org that vouches for the customer or the Anbieter.
func (t *tx) endorsementPolicy(a *schema.Agreement) error {
	ep, err := statebased.NewStateEP(nil)
	if err != nil {
		return fmt.Errorf("endorsement policy: %w", err)
	}
	if err := ep.AddOrgs(statebased.RoleTypePeer, a.EndorsingMembers...); err != nil {
		return fmt.Errorf("endorsement policy: %w", err)
	}
	policy, err := ep.Policy()
	if err != nil {
		return fmt.Errorf("endorsement policy: %w", err)
	}
	k, err := t.key(string(schema.RecordAgreement), a.ID)
	if err != nil {
		return err
	}
	if err := t.stub.SetStateValidationParameter(k, policy); err != nil {
		return fmt.Errorf("set endorsement policy: %w", err)
	}
	return nil
}

// agreementAct is a signed act on an agreement: who must have signed it,
// and what it does.
type agreementAct struct {
	event string // the chaincode event it emits
	id    string // the agreement the message names
	// may, if set, checks that the party the message names may act at all:
	// before the signature, so that a stranger's act is refused as such.
	may func(a *schema.Agreement) error
	// signer names the party whose key must have signed, and the input
	// that names it.
	signer func(a *schema.Agreement) (field, party string)
	// apply moves the agreement through the workflow (and writes what else
	// the act writes).
	apply func(a *schema.Agreement) error
}

// actOn runs an act on an agreement and records it.
func (t *tx) actOn(v *verified, act agreementAct) (string, error) {
	a, err := agreements.load(t, "message.agreement", act.id)
	if err != nil {
		return "", err
	}
	if act.may != nil {
		if err := act.may(a); err != nil {
			return "", err
		}
	}
	field, party := act.signer(a)
	if _, err := t.signedByParty(v, field, party); err != nil {
		return "", err
	}
	old := agreements.indexesOf(a)
	if err := act.apply(a); err != nil {
		return "", err
	}
	return agreements.save(t, act.event, a, old, &v.act)
}

// named is the signer of an act whose message names the acting party.
func named(party string) func(*schema.Agreement) (string, string) {
	return func(*schema.Agreement) (string, string) { return "message.party", party }
}

// EnterFees enters the next fee version of an agreement, signed by the
// supplier, referencing a price-model version of the offering by its hash.
// Entered after the order, it is a fee change that needs both approvals again.
func (c *Registry) EnterFees(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.EnterFeesMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	return t.actOn(v, agreementAct{event: "FeesEntered", id: m.Agreement,
		signer: func(a *schema.Agreement) (string, string) { return "message.agreement", a.Supplier },
		apply: func(a *schema.Agreement) error {
			if err := a.CanEnterFees(m.FeeVersion); err != nil {
				return err
			}
			pmVersion, err := t.priceModelByHash("message.priceModelHash", a.Offering, m.PriceModelHash)
			if err != nil {
				return err
			}
			fv := schema.FeeVersion{
				Agreement: a.ID, Version: m.FeeVersion, PriceModelVersion: pmVersion, PriceModelHash: m.PriceModelHash,
				Fees:    schema.Fees{AnnualFee: m.AnnualFee, ProRataFee: m.ProRataFee, ConnectionFee: m.ConnectionFee, ScopeOfUse: m.ScopeOfUse},
				Entered: v.act,
			}
			terms := schema.TermsOf(a, &fv)
			if fv.TermsHash, err = schema.ContentHash(t.channel, schema.TypeTerms, &terms); err != nil {
				return err
			}
			ref := schema.FeeVersionRef(a.ID, fv.Version)
			if _, err := t.putOnce("message.feeVersion", fv, string(ref.Record), ref.Attributes()...); err != nil {
				return err
			}
			return a.EnterFees(fv.Version, fv.TermsHash)
		}})
}

// ApproveFees approves the terms of the latest fee version, signed by the
// customer or the Anbieter. With both approvals a first fee version awaits
// the order; a fee change takes effect.
func (c *Registry) ApproveFees(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.ApproveFeesMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	return t.actOn(v, agreementAct{event: "FeesApproved", id: m.Agreement, signer: named(m.Party),
		may: func(a *schema.Agreement) error { return a.MayApprove(m.Party) },
		apply: func(a *schema.Agreement) error {
			validFrom := ""
			if a.Status == schema.AgreementFeeChangePending && m.FeeVersion == a.FeeVersion {
				// A fee change may be in force from a later day of its own.
				var fv schema.FeeVersion
				ref := schema.FeeVersionRef(a.ID, a.FeeVersion)
				if _, err := t.get(&fv, string(ref.Record), ref.Attributes()...); err != nil {
					return err
				}
				validFrom = fv.ValidFrom
			}
			return a.Approve(m.Party, m.FeeVersion, m.TermsHash, t.today(), validFrom)
		}})
}

// PlaceOrder is the customer's binding order of the approved terms: the
// agreement is concluded.
func (c *Registry) PlaceOrder(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.PlaceOrderMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	return t.actOn(v, agreementAct{event: "OrderPlaced", id: m.Agreement,
		signer: func(a *schema.Agreement) (string, string) { return "message.agreement", a.Customer },
		apply:  func(a *schema.Agreement) error { return a.Order(m.TermsHash, t.today()) }})
}

// Terminate ends an agreement at an end date, signed by the customer or the
// Anbieter.
func (c *Registry) Terminate(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.TerminateMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	return t.actOn(v, agreementAct{event: "AgreementTerminated", id: m.Agreement, signer: named(m.Party),
		may:   func(a *schema.Agreement) error { return a.MayTerminate(m.Party) },
		apply: func(a *schema.Agreement) error { return a.Terminate(m.Party, m.EndDate, t.today()) }})
}
