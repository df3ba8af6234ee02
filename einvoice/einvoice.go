// Package einvoice renders the registry's invoices as XRechnung: UBL 2.1
// Invoice or CreditNote documents of the XRechnung 3.0 CIUS (package
// xrechnung), from an invoice as the chaincode computed it and the
// details of its seller (the Anbieter) and buyer (the customer).
//
// The buyer reference (BT-10) is the customer's Leitweg-ID; the seller's
// contact, addresses, electronic addresses and bank account come from the
// parties' details, which their member orgs record. A corrective invoice
// names the invoice it corrects (BG-3). The VAT treatment is the price
// model's: standard rate (S), exempt (E) or not subject to VAT (O, e.g.
// re-use that serves sovereign tasks, with the reason it states and the
// code VATEX-EU-O); an invoice not subject to VAT carries no VAT
// identifier of the seller, as EN 16931 (BR-O-02) requires. Seller and
// buyer are identified by their ids in the registry (BT-29, BT-46).
package einvoice

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/efa-marktplatz/registry/xrechnung"
)

// ErrIncomplete means a party lacks what an XRechnung needs of it; the
// error names the party and the field of its details.
var ErrIncomplete = errors.New("einvoice: a party lacks what an XRechnung needs")

// PaymentDays is the payment term the invoices state.
const PaymentDays = 30

// Render renders an invoice as XRechnung (UBL 2.1 XML): seller is its
// Anbieter, buyer its customer, corrected the invoice a corrective invoice
// corrects (nil otherwise). The document passes xrechnung.Check before it
// is returned.
func Render(inv *schema.Invoice, seller, buyer *schema.Party, corrected *schema.Invoice) ([]byte, error) {
	x, err := Document(inv, seller, buyer, corrected)
	if err != nil {
		return nil, err
	}
	doc, err := xrechnung.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("einvoice: invoice %s: %w", inv.ID, err)
	}
	if v := xrechnung.Errors(xrechnung.Check(doc, xrechnung.XRechnung)); len(v) > 0 {
		return nil, fmt.Errorf("einvoice: invoice %s breaks %s: %s", inv.ID, v[0].Rule, v[0].Message)
	}
	return doc, nil
}

// Document maps an invoice to the XRechnung model.
func Document(inv *schema.Invoice, seller, buyer *schema.Party, corrected *schema.Invoice) (*xrechnung.Invoice, error) {
	if seller.ID != inv.Anbieter || buyer.ID != inv.Customer {
		return nil, fmt.Errorf("einvoice: invoice %s is from %s to %s, not from %s to %s", inv.ID, inv.Anbieter, inv.Customer, seller.ID, buyer.ID)
	}
	if buyer.LeitwegID == "" {
		return nil, fmt.Errorf("%w: the customer %s has no Leitweg-ID (leitwegId), the buyer reference of an XRechnung (BT-10)", ErrIncomplete, buyer.ID)
	}
	s, err := party(seller, "Anbieter", true)
	if err != nil {
		return nil, err
	}
	b, err := party(buyer, "customer", false)
	if err != nil {
		return nil, err
	}
	if b.ElectronicAddress.Value == "" {
		b.ElectronicAddress = xrechnung.ElectronicAddress{Scheme: xrechnung.SchemeLeitwegID, Value: buyer.LeitwegID}
	}
	sd := details(seller)
	if sd.IBAN == "" {
		return nil, fmt.Errorf("%w: the Anbieter %s has no bank account (details.iban) to be paid to", ErrIncomplete, seller.ID)
	}
	year := schema.YearKey(inv.Year)
	x := &xrechnung.Invoice{
		Number: inv.Number, IssueDate: inv.IssueDate, TypeCode: strconv.FormatUint(uint64(inv.TypeCode), 10), Currency: inv.Currency,
		BuyerReference: buyer.LeitwegID, ContractReference: inv.Agreement,
		Note:        fmt.Sprintf("Nutzungsentgelt %s für %s, Nachnutzungsvertrag %s", year, inv.Offering, inv.Agreement),
		PeriodStart: year + "-01-01", PeriodEnd: year + "-12-31",
		Seller: s, Buyer: b,
		Payment:      xrechnung.Payment{IBAN: sd.IBAN, BIC: sd.BIC, AccountName: seller.Name, RemittanceInfo: inv.Number},
		PaymentTerms: fmt.Sprintf("Zahlbar innerhalb von %d Tagen ab Rechnungsdatum ohne Abzug.", PaymentDays),
		VAT:          vat(inv),
	}
	if due, err := time.Parse(time.DateOnly, inv.IssueDate); err == nil {
		x.DueDate = due.AddDate(0, 0, PaymentDays).Format(time.DateOnly)
	}
	if inv.Corrects != "" {
		if corrected == nil || corrected.ID != inv.Corrects {
			return nil, fmt.Errorf("einvoice: invoice %s corrects %s, which was not given", inv.ID, inv.Corrects)
		}
		x.Preceding = []xrechnung.Reference{{Number: corrected.Number, IssueDate: corrected.IssueDate}}
	}
	if x.VAT.Category == xrechnung.VATNotSubject {
		x.Seller.VATID = "" // BR-O-02
	}
	for i, l := range inv.Lines {
		line := xrechnung.Line{ID: strconv.Itoa(i + 1), Name: lineName(inv, l), QuantityMilli: 1000, UnitCode: "C62",
			NetCents: int64(l.Cents), PriceCents: int64(l.Cents)}
		if l.Kind != schema.LineConnectionFee {
			line.PeriodStart, line.PeriodEnd = l.From, l.To
		}
		if l.Kind == schema.LineAnnualFee || l.Kind == schema.LineProRataFee {
			line.Description = fmt.Sprintf("%d von %d Tagen zu %s", l.Days, l.Basis, euro(l.Fee))
		}
		x.Lines = append(x.Lines, line)
	}
	return x, nil
}

// lineName names a line in German, as the customer reads it.
func lineName(inv *schema.Invoice, l schema.InvoiceLine) string {
	switch l.Kind {
	case schema.LineAnnualFee:
		return fmt.Sprintf("Jahresentgelt %d (Entgeltversion %d)", inv.Year, l.FeeVersion)
	case schema.LineProRataFee:
		return fmt.Sprintf("Anteiliges Entgelt im Jahr der Bestellung %d (Entgeltversion %d)", inv.Year, l.FeeVersion)
	case schema.LineConnectionFee:
		return fmt.Sprintf("Einmaliges Anschlussentgelt (Entgeltversion %d)", l.FeeVersion)
	case schema.LineCorrection:
		return fmt.Sprintf("Korrektur %d: neu berechnet %s, bisher berechnet %s", inv.Year, euro(inv.Computed), euro(inv.Billed))
	}
	return l.Kind
}

// euro writes cents as euros, German style: 1.234,56 EUR.
func euro(c schema.Uint) string {
	whole := strconv.FormatUint(uint64(c)/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s,%02d EUR", b.String(), uint64(c)%100)
}

func vat(inv *schema.Invoice) xrechnung.VAT {
	v := xrechnung.VAT{RateBasisPoints: int64(inv.VATRate), ExemptionReason: inv.VATExemption}
	switch inv.VATCategory {
	case schema.VATStandard:
		v.Category = xrechnung.VATStandard
	case schema.VATExempt:
		v.Category = xrechnung.VATExempt
	case schema.VATNotSubject:
		v.Category, v.ExemptionReasonCode = xrechnung.VATNotSubject, "VATEX-EU-O"
	}
	return v
}

func details(p *schema.Party) schema.PartyDetails {
	if p.Details == nil {
		return schema.PartyDetails{}
	}
	return *p.Details
}

// party maps a party and its details; the seller's address, contact and
// electronic address are required.
func party(p *schema.Party, role string, seller bool) (xrechnung.Party, error) {
	d := details(p)
	// BT-29/BT-46: the party's id in the registry identifies it (BR-CO-26
	// needs a seller identifier where no VAT identifier may be given).
	x := xrechnung.Party{Name: p.Name, Identifier: p.ID, Street: d.Street, City: d.City, PostalCode: d.PostalCode, CountryCode: d.Country,
		VATID: d.VATID, ElectronicAddress: xrechnung.ElectronicAddress{Scheme: d.ElectronicAddressScheme, Value: d.ElectronicAddress},
		Contact: xrechnung.Contact{Name: d.ContactName, Phone: d.ContactPhone, Email: d.ContactEmail}}
	if x.CountryCode == "" {
		x.CountryCode = "DE"
	}
	if seller {
		x.TaxNumber = d.TaxNumber
	}
	required := []struct{ field, value string }{{"city", d.City}, {"postalCode", d.PostalCode}}
	if seller {
		required = append(required, struct{ field, value string }{"contactName", d.ContactName},
			struct{ field, value string }{"contactPhone", d.ContactPhone}, struct{ field, value string }{"contactEmail", d.ContactEmail},
			struct{ field, value string }{"electronicAddress", d.ElectronicAddress})
	}
	for _, r := range required {
		if r.value == "" {
			return xrechnung.Party{}, fmt.Errorf("%w: the %s %s has no details.%s", ErrIncomplete, role, p.ID, r.field)
		}
	}
	return x, nil
}
