package chaincode

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// invoiceIndexes list an invoice by customer, Anbieter, agreement and year,
// and by agreement and year together (the invoices a correction weighs).
func invoiceIndexes(inv *schema.Invoice) []indexEntry {
	return []indexEntry{
		index(schema.RecordInvoice, "customer", inv.Customer, inv.ID),
		index(schema.RecordInvoice, "anbieter", inv.Anbieter, inv.ID),
		index(schema.RecordInvoice, "agreement", inv.Agreement, inv.ID),
		index(schema.RecordInvoice, "year", schema.YearKey(inv.Year), inv.ID),
		{name: indexName(schema.RecordInvoice, "agreementYear"), attrs: []string{inv.Agreement, schema.YearKey(inv.Year), inv.ID}},
	}
}

// IssueInvoice issues an agreement's invoice for a year, signed by its
// Anbieter under an invoice number of its own, unique per Anbieter. The
// registry computes it: the lines from the fee versions in force in the
// year (schema.InvoiceLines), the VAT from the price model's VAT treatment.
// An invoice for a year may be issued from 1 January of that year on. When
// the year's invoices already bill a different amount — after an approved
// fee change — it issues a corrective invoice for the difference instead
// (a corrected invoice for more, a credit note for less), naming the
// year's first invoice (the first issued); when they bill the same amount
// it is refused.
func (c *Registry) IssueInvoice(ctx contractapi.TransactionContextInterface, message, signature string) (string, error) {
	var m schema.IssueInvoiceMessage
	t, v, err := beginAct(ctx, message, signature, &m)
	if err != nil {
		return "", err
	}
	a, err := agreements.load(t, "message.agreement", m.Agreement)
	if err != nil {
		return "", err
	}
	if m.Anbieter != a.Anbieter {
		return "", schema.Forbidden("message.anbieter", "the Anbieter of agreement %s is %s; only it invoices", a.ID, a.Anbieter)
	}
	if _, err := t.signedByParty(v, "message.anbieter", a.Anbieter); err != nil {
		return "", err
	}
	if year := schema.YearKey(m.Year); year > t.today()[:4] {
		return "", schema.Invalid("message.year", "an invoice for %s may be issued from %s-01-01 on", year, year)
	}
	basis := schema.InvoiceBasis{Year: m.Year, OrderDate: a.OrderDate, EndDate: a.EndDate, Periods: a.Periods, FeeVersions: []schema.FeeVersion{}}
	if a.OrderDate == "" {
		return "", schema.Conflict("message.agreement", "agreement %s is not ordered; there is nothing to invoice", a.ID)
	}
	for _, p := range a.Periods {
		var fv schema.FeeVersion
		ref := schema.FeeVersionRef(a.ID, p.FeeVersion)
		if _, err := t.get(&fv, string(ref.Record), ref.Attributes()...); err != nil {
			return "", err
		}
		if len(basis.FeeVersions) == 0 || basis.FeeVersions[len(basis.FeeVersions)-1].Version != fv.Version {
			basis.FeeVersions = append(basis.FeeVersions, fv)
		}
	}
	lines, err := schema.InvoiceLines(&basis)
	if err != nil {
		return "", err
	}
	var computed schema.Uint
	for _, l := range lines {
		computed += l.Cents
	}
	earlier, err := t.invoicesOf(a.ID, m.Year)
	if err != nil {
		return "", err
	}
	inv := &schema.Invoice{
		ID: schema.InvoiceID(a.Anbieter, m.Number), Number: m.Number, Kind: schema.InvoiceCommercial, TypeCode: 380,
		Agreement: a.ID, Offering: a.Offering, Customer: a.Customer, Supplier: a.Supplier, Anbieter: a.Anbieter,
		Year: m.Year, IssueDate: t.today(), Currency: "EUR", Basis: basis, Lines: lines, Computed: computed,
	}
	if len(earlier) > 0 {
		var billed int64
		for _, e := range earlier {
			if e.Kind == schema.InvoiceCreditNote {
				billed -= int64(e.Net)
			} else {
				billed += int64(e.Net)
			}
		}
		inv.Corrects, inv.Billed = earlier[0].ID, schema.Uint(max(billed, 0))
		delta := int64(computed) - billed
		line := schema.InvoiceLine{Kind: schema.LineCorrection, From: schema.YearKey(m.Year) + "-01-01", To: schema.YearKey(m.Year) + "-12-31"}
		switch {
		case delta == 0:
			return "", schema.Conflict("message.year", "the invoices of agreement %s for %d already bill %d cents, what its fees come to; there is nothing to correct", a.ID, m.Year, computed)
		case delta > 0:
			inv.Kind, inv.TypeCode = schema.InvoiceCorrected, 384
			line.Fee, line.Cents = schema.Uint(delta), schema.Uint(delta)
		default:
			inv.Kind, inv.TypeCode = schema.InvoiceCreditNote, 381
			line.Fee, line.Cents = schema.Uint(-delta), schema.Uint(-delta)
		}
		inv.Lines = []schema.InvoiceLine{line}
	}
	for _, l := range inv.Lines {
		inv.Net += l.Cents
	}
	last := basis.FeeVersions[len(basis.FeeVersions)-1]
	pm, err := t.priceModel("message.agreement", a.Offering, last.PriceModelVersion)
	if err != nil {
		return "", err
	}
	inv.PriceModelVersion, inv.VATCategory, inv.VATRate, inv.VATExemption = pm.Version, pm.VATCategory, pm.VATRate, pm.VATExemption
	inv.VAT = schema.VATOf(inv.Net, inv.VATRate)
	inv.Total = inv.Net + inv.VAT
	inv.Hash = schema.InvoiceHash(inv)
	inv.Issued = v.act
	ref := schema.InvoiceRef(inv.ID)
	if used, err := t.exists(string(ref.Record), ref.Attributes()...); err != nil {
		return "", err
	} else if used {
		return "", schema.Conflict("message.number", "invoice number %s of the Anbieter %s is used; numbers are unique per Anbieter", m.Number, a.Anbieter)
	}
	raw, err := t.putOnce("message.number", inv, string(ref.Record), ref.Attributes()...)
	if err != nil {
		return "", err
	}
	if err := t.reindex(nil, invoiceIndexes(inv)); err != nil {
		return "", err
	}
	if err := t.emit("InvoiceIssued", ref.Record, inv.ID, inv.Kind, raw); err != nil {
		return "", err
	}
	return string(raw), nil
}

// invoicesOf returns an agreement's invoices for a year, in the order they
// were issued.
func (t *tx) invoicesOf(agreement string, year schema.Uint) ([]schema.Invoice, error) {
	it, err := t.stub.GetStateByPartialCompositeKey(indexName(schema.RecordInvoice, "agreementYear"), []string{agreement, schema.YearKey(year)})
	if err != nil {
		return nil, fmt.Errorf("invoices of agreement %s: %w", agreement, err)
	}
	defer it.Close()
	var out []schema.Invoice
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("invoices of agreement %s: %w", agreement, err)
		}
		_, parts, err := t.stub.SplitCompositeKey(kv.Key)
		if err != nil || len(parts) != 3 {
			return nil, fmt.Errorf("invoices of agreement %s: malformed index key %q", agreement, kv.Key)
		}
		var inv schema.Invoice
		if _, err := t.get(&inv, string(schema.RecordInvoice), parts[2]); err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	// In the order they were issued (their acts' times; ids break ties).
	slices.SortStableFunc(out, func(x, y schema.Invoice) int {
		tx, _ := time.Parse(time.RFC3339Nano, x.Issued.Time)
		ty, _ := time.Parse(time.RFC3339Nano, y.Issued.Time)
		return cmp.Or(tx.Compare(ty), cmp.Compare(x.ID, y.ID))
	})
	return out, nil
}

// GetInvoice returns an invoice.
func (c *Registry) GetInvoice(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	return c.read(ctx, "id", "invoice", schema.InvoiceRef(id))
}

// ListInvoices pages through the invoices, all or by customer, Anbieter,
// agreement or year.
func (c *Registry) ListInvoices(ctx contractapi.TransactionContextInterface, by, value, pageSize, bookmark string) (string, error) {
	return listBy(ctx, schema.RecordInvoice, by, value, pageSize, bookmark)
}
