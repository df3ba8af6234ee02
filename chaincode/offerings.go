package chaincode

import (
	"slices"
	"strings"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// offerings are stored under their id, at their latest version, and listed
// by supplier, Anbieter, status, Themenfeld and LeiKa key.
var offerings = kind[schema.Offering]{
	record:  schema.RecordOffering,
	id:      func(o *schema.Offering) string { return o.Offering },
	updated: func(o *schema.Offering) *schema.Stamp { return &o.Updated },
	log:     func(o *schema.Offering) *schema.ActLog { return &o.ActLog },
	status:  func(o *schema.Offering) string { return o.Status },
	indexes: func(o *schema.Offering) []indexEntry {
		out := []indexEntry{
			index(schema.RecordOffering, "supplier", o.Supplier, o.Offering),
			index(schema.RecordOffering, "anbieter", o.Anbieter, o.Offering),
			index(schema.RecordOffering, "status", o.Status, o.Offering),
			index(schema.RecordOffering, "kind", o.Kind, o.Offering),
		}
		if o.Themenfeld != "" {
			out = append(out, index(schema.RecordOffering, "themenfeld", o.Themenfeld, o.Offering))
		}
		for _, k := range o.LeiKaKeys {
			out = append(out, index(schema.RecordOffering, "leika", k, o.Offering))
		}
		return out
	},
}

// SubmitOffering submits an offering, or a new version of one, signed by
// its supplier (Bereitsteller). Each version is kept, write-once.
func (c *Registry) SubmitOffering(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.SubmitOfferingMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	supplier, err := parties.load(t, "message.supplier", m.Supplier)
	if err != nil {
		return "", err
	}
	if !slices.Contains(schema.SupplierKinds, supplier.Kind) {
		return "", schema.Invalid("message.supplier", "party %s is a %s; a supplier is one of %s", supplier.ID, supplier.Kind, strings.Join(schema.SupplierKinds, ", "))
	}
	if err := t.signedBy(v, supplier); err != nil {
		return "", err
	}
	anbieter, err := parties.load(t, "message.anbieter", m.Anbieter)
	if err != nil {
		return "", err
	}
	if anbieter.Kind != schema.KindAnbieter {
		return "", schema.Invalid("message.anbieter", "party %s is a %s, not an Anbieter", anbieter.ID, anbieter.Kind)
	}
	head, err := offerings.find(t, m.Offering)
	if err != nil {
		return "", err
	}
	old := offerings.indexesOf(head)
	switch {
	case head == nil && m.Version != 1:
		return "", schema.Conflict("message.version", "a new offering starts at version 1")
	case head == nil:
		head = &schema.Offering{}
	case head.Supplier != m.Supplier:
		return "", schema.Forbidden("message.supplier", "offering %s belongs to supplier %s", m.Offering, head.Supplier)
	case head.Anbieter != m.Anbieter:
		return "", schema.Invalid("message.anbieter", "the Anbieter of offering %s is %s and does not change", m.Offering, head.Anbieter)
	case head.Status == schema.OfferingWithdrawn:
		return "", schema.Conflict("message.offering", "offering %s is withdrawn", m.Offering)
	case m.Version != head.Version+1:
		return "", schema.Conflict("message.version", "the next version of offering %s is %d; versions are write-once", m.Offering, head.Version+1)
	}
	hash, err := schema.ContentHash(t.channel, schema.TypeOffering, &m.OfferingContent)
	if err != nil {
		return "", err
	}
	ver := schema.OfferingVersion{OfferingContent: m.OfferingContent, Hash: hash, Submitted: v.act}
	ref := schema.OfferingVersionRef(m.Offering, m.Version)
	if _, err := t.putOnce("message.version", ver, string(ref.Record), ref.Attributes()...); err != nil {
		return "", err
	}
	head.OfferingVersion = ver
	head.Status = schema.OfferingSubmitted
	return offerings.save(t, "OfferingSubmitted", head, old, nil)
}

// AcceptOffering publishes the latest version of an offering, signed by the
// Anbieter it names.
func (c *Registry) AcceptOffering(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.AcceptOfferingMessage
	t, v, o, err := offeringAct(ctx, message, signature, &m, &m.Offering, byAnbieter)
	if err != nil {
		return "", err
	}
	switch {
	case o.Status != schema.OfferingSubmitted:
		return "", schema.Conflict("message.offering", "offering %s is %s; only a submitted version can be accepted", o.Offering, o.Status)
	case m.Version != o.Version:
		return "", schema.Conflict("message.version", "version %d is not the latest version %d of offering %s", m.Version, o.Version, o.Offering)
	case m.OfferingHash != o.Hash:
		return "", schema.Conflict("message.offeringHash", "does not match version %d of offering %s (%s)", o.Version, o.Offering, o.Hash)
	}
	old := offerings.indexesOf(o)
	o.Status = schema.OfferingPublished
	o.PublishedVersion, o.PublishedHash = o.Version, o.Hash
	return offerings.save(t, "OfferingAccepted", o, old, &v.act)
}

// WithdrawOffering takes an offering off the marketplace, signed by its
// supplier or its Anbieter. Concluded agreements stay in force.
func (c *Registry) WithdrawOffering(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.WithdrawOfferingMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	o, err := offerings.load(t, "message.offering", m.Offering)
	if err != nil {
		return "", err
	}
	if m.Party != o.Supplier && m.Party != o.Anbieter {
		return "", schema.Forbidden("message.party", "only the supplier %s or the Anbieter %s may withdraw offering %s", o.Supplier, o.Anbieter, o.Offering)
	}
	if _, err := t.signedByParty(v, "message.party", m.Party); err != nil {
		return "", err
	}
	if o.Status == schema.OfferingWithdrawn {
		return "", schema.Conflict("message.offering", "offering %s is already withdrawn", o.Offering)
	}
	old := offerings.indexesOf(o)
	o.Status = schema.OfferingWithdrawn
	return offerings.save(t, "OfferingWithdrawn", o, old, &v.act)
}

// offeringAct begins an act on the offering the message names (offering
// points into m, filled once m is decoded) that the party by names — its
// supplier or its Anbieter — must have signed.
func offeringAct(ctx contractapi.TransactionContextInterface, message, signature string, m schema.Message, offering *string, by func(*schema.Offering) string) (*tx, *verified, *schema.Offering, error) {
	t, v, err := beginAct(ctx, message, signature, m)
	if err != nil {
		return nil, nil, nil, err
	}
	o, err := offerings.load(t, "message.offering", *offering)
	if err != nil {
		return nil, nil, nil, err
	}
	if _, err := t.signedByParty(v, "message.offering", by(o)); err != nil {
		return nil, nil, nil, err
	}
	return t, v, o, nil
}

func bySupplier(o *schema.Offering) string { return o.Supplier }
func byAnbieter(o *schema.Offering) string { return o.Anbieter }
