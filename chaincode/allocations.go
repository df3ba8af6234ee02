package chaincode

import (
	"encoding/json"
	"fmt"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// inForce lists the agreements of an offering in force in a year: ordered by
// its last day and not ended before its first, in the order of their ids.
func (t *tx) inForce(offering string, year schema.Uint) ([]*schema.Agreement, error) {
	it, err := t.stub.GetStateByPartialCompositeKey(indexName(schema.RecordAgreement, "offering"), []string{offering})
	if err != nil {
		return nil, fmt.Errorf("agreements of offering %s: %w", offering, err)
	}
	defer it.Close()
	first, last := schema.YearKey(year)+"-01-01", schema.YearKey(year)+"-12-31"
	var out []*schema.Agreement
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("agreements of offering %s: %w", offering, err)
		}
		_, parts, err := t.stub.SplitCompositeKey(kv.Key)
		if err != nil || len(parts) != 2 {
			return nil, fmt.Errorf("agreements of offering %s: malformed index key %q", offering, kv.Key)
		}
		a, err := agreements.load(t, "offering", parts[1])
		if err != nil {
			return nil, err
		}
		if a.OrderDate == "" || a.OrderDate > last || (a.EndDate != "" && a.EndDate < first) {
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// allocationInputs reads what each agreement of an offering in force in a
// year weighs with: the year's latest figures of the keys the price model
// weights.
func (t *tx) allocationInputs(offering string, year schema.Uint, pm *schema.PriceModelContent) ([]schema.AllocationInput, error) {
	in, err := t.inForce(offering, year)
	if err != nil {
		return nil, err
	}
	customers := map[string]*schema.Party{}
	koenigsteiner := map[string]*schema.FigureValue{}
	figure := func(kind, subject string) (*schema.FigureValue, error) {
		f, err := t.latestFigure(kind, subject, year)
		if err != nil || f == nil {
			return nil, err
		}
		return &schema.FigureValue{Value: f.Value, Version: f.Version}, nil
	}
	inputs := make([]schema.AllocationInput, 0, len(in))
	for _, a := range in {
		c := customers[a.Customer]
		if c == nil {
			if c, err = parties.load(t, "offering", a.Customer); err != nil {
				return nil, err
			}
			customers[a.Customer] = c
		}
		input := schema.AllocationInput{Agreement: a.ID, Customer: a.Customer, Land: landOf(c)}
		if pm.WeightInhabitants > 0 {
			if input.Inhabitants, err = figure(schema.FigureInhabitants, a.Customer); err != nil {
				return nil, err
			}
		}
		if pm.WeightCases > 0 {
			if input.Cases, err = figure(schema.FigureCases, a.ID); err != nil {
				return nil, err
			}
		}
		if pm.WeightTargetGroup > 0 {
			if input.TargetGroup, err = figure(schema.FigureTargetGroup, schema.TargetGroupSubject(a.Customer, offering)); err != nil {
				return nil, err
			}
		}
		if pm.WeightKoenigsteiner > 0 && input.Land != "" {
			k, ok := koenigsteiner[input.Land]
			if !ok {
				if k, err = figure(schema.FigureKoenigsteiner, input.Land); err != nil {
					return nil, err
				}
				koenigsteiner[input.Land] = k
			}
			input.Koenigsteiner = k
		}
		inputs = append(inputs, input)
	}
	return inputs, nil
}

// landOf is the two-digit code of a party's Land, from its AGS or ARS; ""
// when it has neither.
func landOf(p *schema.Party) string {
	switch {
	case len(p.AGS) >= 2:
		return p.AGS[:2]
	case len(p.ARS) >= 2:
		return p.ARS[:2]
	}
	return ""
}

// priceModel reads a price-model version of an offering.
func (t *tx) priceModel(field, offering string, version schema.Uint) (*schema.PriceModel, error) {
	var pm schema.PriceModel
	ref := schema.PriceModelRef(offering, version)
	found, err := t.get(&pm, string(ref.Record), ref.Attributes()...)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, schema.NotFound(field, "offering %s has no price-model version %d", offering, version)
	}
	return &pm, nil
}

// priceModelForYear is the price-model version of an offering in force in a
// year: the newest published version valid from a day of the year or
// before.
func (t *tx) priceModelForYear(field, offering string, year schema.Uint) (*schema.PriceModel, error) {
	it, err := t.stub.GetStateByPartialCompositeKey(string(schema.RecordPriceModel), []string{offering})
	if err != nil {
		return nil, fmt.Errorf("price models of offering %s: %w", offering, err)
	}
	defer it.Close()
	last := schema.YearKey(year) + "-12-31"
	var best *schema.PriceModel
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("price models of offering %s: %w", offering, err)
		}
		var pm schema.PriceModel
		if err := json.Unmarshal(kv.Value, &pm); err != nil {
			return nil, fmt.Errorf("decode price model: %w", err)
		}
		if pm.ValidFrom <= last && (best == nil || pm.Version > best.Version) {
			best = &pm
		}
	}
	if best == nil {
		return nil, schema.NotFound(field, "offering %s has no price-model version valid in %d", offering, year)
	}
	return best, nil
}

// allocate computes the allocation of an offering's pool for a year under a
// price-model version, from what the ledger holds now.
func (t *tx) allocate(field, offering string, year schema.Uint, pm *schema.PriceModel) (*schema.Allocation, error) {
	if !pm.Programmed() {
		return nil, schema.Conflict(field, "price-model version %d of offering %s carries no cost pool to allocate", pm.Version, offering)
	}
	if pm.ValidFrom > schema.YearKey(year)+"-12-31" {
		return nil, schema.Invalid(field, "price-model version %d is valid from %s, after %d", pm.Version, pm.ValidFrom, year)
	}
	inputs, err := t.allocationInputs(offering, year, &pm.PriceModelContent)
	if err != nil {
		return nil, err
	}
	return schema.Allocate(offering, year, pm.Version, pm.Hash, &pm.PriceModelContent, inputs)
}

// ComputeAllocation computes, without recording it, the allocation of an
// offering's pool for a year under a price-model version (priceModel ""
// for the version in force in the year): what PublishAllocation would
// publish now.
func (c *Registry) ComputeAllocation(ctx contractapi.TransactionContextInterface, offering, year, priceModel string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	y, err := parseYear("year", year)
	if err != nil {
		return "", err
	}
	if _, err := offerings.load(t, "offering", offering); err != nil {
		return "", err
	}
	var pm *schema.PriceModel
	if priceModel == "" {
		pm, err = t.priceModelForYear("priceModel", offering, y)
	} else {
		var v schema.Uint
		if v, err = schema.ParseVersion("priceModel", priceModel); err == nil {
			pm, err = t.priceModel("priceModel", offering, v)
		}
	}
	if err != nil {
		return "", err
	}
	a, err := t.allocate("priceModel", offering, y, pm)
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("encode allocation: %w", err)
	}
	return string(raw), nil
}

// latestAllocation returns the newest published version of an offering's
// allocation for a year (its header, without inputs and shares); nil when
// none is published.
func (t *tx) latestAllocation(offering string, year schema.Uint) (*schema.PublishedAllocation, error) {
	it, err := t.stub.GetStateByPartialCompositeKey(string(schema.RecordAllocation), []string{offering, schema.YearKey(year)})
	if err != nil {
		return nil, fmt.Errorf("allocations of offering %s: %w", offering, err)
	}
	defer it.Close()
	var latest *schema.PublishedAllocation
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("allocations of offering %s: %w", offering, err)
		}
		var a schema.PublishedAllocation
		if err := json.Unmarshal(kv.Value, &a); err != nil {
			return nil, fmt.Errorf("decode allocation: %w", err)
		}
		latest = &a // keys ascend by version
	}
	return latest, nil
}

// PublishAllocation publishes the allocation of an offering's pool for a
// year under a price-model version, signed by the supplier. The registry
// computes it from what the ledger holds and keeps it only if it hashes to
// the hash the supplier signed; its header is kept under its name, each
// agreement's input and share under a key of its own.
func (c *Registry) PublishAllocation(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.PublishAllocationMessage
	t, v, o, err := offeringAct(ctx, message, signature, &m, &m.Offering, bySupplier)
	if err != nil {
		return "", err
	}
	pmVersion, err := t.priceModelByHash("message.priceModelHash", o.Offering, m.PriceModelHash)
	if err != nil {
		return "", err
	}
	pm, err := t.priceModel("message.priceModelHash", o.Offering, pmVersion)
	if err != nil {
		return "", err
	}
	latest, err := t.latestAllocation(o.Offering, m.Year)
	if err != nil {
		return "", err
	}
	next := schema.Uint(1)
	if latest != nil {
		next = latest.Version + 1
	}
	if m.Version != next {
		return "", schema.Conflict("message.version", "the next allocation of offering %s for %d is version %d; published allocations are write-once", o.Offering, m.Year, next)
	}
	a, err := t.allocate("message.priceModelHash", o.Offering, m.Year, pm)
	if err != nil {
		return "", err
	}
	if a.Hash != m.AllocationHash {
		return "", schema.Conflict("message.allocationHash", "the allocation the ledger gives now hashes to %s: the figures or agreements changed since it was computed; compute it again and sign that", a.Hash)
	}
	for i := range a.Shares {
		entry := schema.AllocationEntry{Input: a.Inputs[i], Share: a.Shares[i]}
		if _, err := t.put(entry, schema.AllocationEntryObject, o.Offering, schema.YearKey(m.Year), schema.VersionKey(m.Version), a.Shares[i].Agreement); err != nil {
			return "", err
		}
	}
	header := schema.PublishedAllocation{Allocation: *a, Version: m.Version, Published: v.act}
	header.Inputs, header.Shares = []schema.AllocationInput{}, []schema.AllocationShare{}
	ref := schema.AllocationRef(o.Offering, m.Year, m.Version)
	raw, err := t.putOnce("message.version", header, string(ref.Record), ref.Attributes()...)
	if err != nil {
		return "", err
	}
	if err := t.emit("AllocationPublished", ref.Record, ref.String(), "", raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// GetAllocation returns a published allocation (version "" for the newest)
// with every input and share.
func (c *Registry) GetAllocation(ctx contractapi.TransactionContextInterface, offering, year, version string) (string, error) {
	t, err := begin(ctx)
	if err != nil {
		return "", err
	}
	y, err := parseYear("year", year)
	if err != nil {
		return "", err
	}
	var a *schema.PublishedAllocation
	if version == "" {
		if a, err = t.latestAllocation(offering, y); err != nil {
			return "", err
		}
	} else {
		v, err := schema.ParseVersion("version", version)
		if err != nil {
			return "", err
		}
		a = new(schema.PublishedAllocation)
		ref := schema.AllocationRef(offering, y, v)
		found, err := t.get(a, string(ref.Record), ref.Attributes()...)
		if err != nil {
			return "", schema.Invalid("offering", "%v", err)
		}
		if !found {
			a = nil
		}
	}
	if a == nil {
		return "", schema.NotFound("year", "no allocation of offering %s for %d is published%s", offering, y, map[bool]string{true: "", false: " in version " + version}[version == ""])
	}
	it, err := t.stub.GetStateByPartialCompositeKey(schema.AllocationEntryObject, []string{offering, schema.YearKey(y), schema.VersionKey(a.Version)})
	if err != nil {
		return "", fmt.Errorf("allocation entries: %w", err)
	}
	defer it.Close()
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return "", fmt.Errorf("allocation entries: %w", err)
		}
		var e schema.AllocationEntry
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			return "", fmt.Errorf("decode allocation entry: %w", err)
		}
		a.Inputs = append(a.Inputs, e.Input)
		a.Shares = append(a.Shares, e.Share)
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("encode allocation: %w", err)
	}
	return string(raw), nil
}

// AdjustFees is the supplier's September fee adjustment for a chunk of an
// offering's concluded agreements: each gets a new fee version, in force
// from 1 January of the year after the allocation's year once customer and
// Anbieter approve it, whose annual fee is the agreement's share in the
// published allocation, as the supplier signed it (an annual fee that is
// not the share is refused, naming it). The pro-rata and connection fees of
// an adjustment are 0 — they belong to the year of the order — and the
// scope of use stays as agreed. The act is logged on every agreement.
func (c *Registry) AdjustFees(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.AdjustFeesMessage
	t, v, o, err := offeringAct(ctx, message, signature, &m, &m.Offering, bySupplier)
	if err != nil {
		return "", err
	}
	var alloc schema.PublishedAllocation
	ref := schema.AllocationRef(o.Offering, m.Year, m.AllocationVersion)
	if found, err := t.get(&alloc, string(ref.Record), ref.Attributes()...); err != nil {
		return "", err
	} else if !found {
		return "", schema.NotFound("message.allocationVersion", "no allocation of offering %s for %d is published in version %d", o.Offering, m.Year, m.AllocationVersion)
	}
	validFrom := schema.YearKey(m.Year+1) + "-01-01"
	adjusted := make([]schema.FeeVersion, 0, len(m.Agreements))
	for i, id := range m.Agreements {
		field := fmt.Sprintf("message.agreements[%d]", i)
		var e schema.AllocationEntry
		found, err := t.get(&e, schema.AllocationEntryObject, o.Offering, schema.YearKey(m.Year), schema.VersionKey(m.AllocationVersion), id)
		if err != nil {
			return "", err
		}
		if !found {
			return "", schema.Invalid(field, "agreement %s has no share in allocation %d of %d", id, m.AllocationVersion, m.Year)
		}
		if m.AnnualFees[i] != e.Share.Cents {
			return "", schema.Invalid(fmt.Sprintf("message.annualFees[%d]", i), "agreement %s's share in allocation %d of %d is %d cents, not %d", id, m.AllocationVersion, m.Year, e.Share.Cents, m.AnnualFees[i])
		}
		a, err := agreements.load(t, field, id)
		if err != nil {
			return "", err
		}
		switch {
		case a.Status != schema.AgreementConcluded:
			return "", schema.Conflict(field, "agreement %s is %s; fees are adjusted on concluded agreements", a.ID, a.Status)
		case a.EndDate != "" && a.EndDate < validFrom:
			return "", schema.Conflict(field, "agreement %s ends on %s, before the adjusted fees apply (%s)", a.ID, a.EndDate, validFrom)
		}
		var current schema.FeeVersion
		cur := schema.FeeVersionRef(a.ID, a.EffectiveVersion)
		if _, err := t.get(&current, string(cur.Record), cur.Attributes()...); err != nil {
			return "", err
		}
		fv := schema.FeeVersion{
			Agreement: a.ID, Version: a.FeeVersion + 1, PriceModelVersion: alloc.PriceModelVersion, PriceModelHash: alloc.PriceModelHash,
			Fees:      schema.Fees{AnnualFee: e.Share.Cents, ScopeOfUse: current.Fees.ScopeOfUse},
			ValidFrom: validFrom, Entered: v.act,
		}
		terms := schema.TermsOf(a, &fv)
		if fv.TermsHash, err = schema.ContentHash(t.channel, schema.TypeTerms, &terms); err != nil {
			return "", err
		}
		fref := schema.FeeVersionRef(a.ID, fv.Version)
		if _, err := t.putOnce(field, fv, string(fref.Record), fref.Attributes()...); err != nil {
			return "", err
		}
		old := agreements.indexesOf(a)
		if err := a.EnterFees(fv.Version, fv.TermsHash); err != nil {
			return "", err
		}
		if _, err := agreements.save(t, schema.ActFeesAdjusted, a, old, &v.act); err != nil {
			return "", err
		}
		adjusted = append(adjusted, fv)
	}
	raw, err := json.Marshal(adjustment{Offering: o.Offering, Year: m.Year, AllocationVersion: m.AllocationVersion, FeeVersions: adjusted})
	if err != nil {
		return "", fmt.Errorf("encode adjustment: %w", err)
	}
	if err := t.emit(schema.ActFeesAdjusted, schema.RecordOffering, o.Offering, "", raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// adjustment is the answer to a fee adjustment: the fee versions it entered.
type adjustment = schema.FeeAdjustment
