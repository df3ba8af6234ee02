package schema

import "strings"

// An invoice is computed by the registry, never typed in: the Anbieter's
// signed act (IssueInvoice) names an agreement, a year and an invoice
// number, and the chaincode computes the lines from the agreement's fee
// versions and the periods they were in force (InvoiceLines), and the VAT
// from the price model's VAT treatment. If the agreement's invoices for the
// year already bill a different amount (after an approved fee change), the
// act yields a corrective invoice instead: a credit note (less) or a
// corrected invoice (more) for the difference, naming the invoice it
// corrects. Invoices are write-once, their numbers unique per Anbieter.

// Invoice kinds and their UNTDID 1001 type codes.
const (
	InvoiceCommercial = "invoice"    // 380
	InvoiceCorrected  = "corrected"  // 384: a back-charge after a fee change
	InvoiceCreditNote = "creditNote" // 381: a credit after a fee change
)

// Invoice line kinds.
const (
	LineAnnualFee     = "annualFee"     // the annual fee, pro rata by days in force
	LineProRataFee    = "proRataFee"    // the pro-rata fee of the order's year, pro rata by days in force
	LineConnectionFee = "connectionFee" // the one-off connection fee, in the order's year
	LineCorrection    = "correction"    // the difference a corrective invoice bills or credits
)

// FeePeriod is a stretch of an agreement's life under one fee version: from
// the date the version came into force (the order, or the later of the
// second approval of a fee change and the version's validFrom) until the next
// period or the agreement's end.
type FeePeriod struct {
	FeeVersion Uint   `json:"feeVersion"`
	From       string `json:"from"` // YYYY-MM-DD
}

// InvoiceLine is one line of an invoice: a fee, or the part of a fee that
// falls on the days From–To (inclusive) of its basis, in cents.
type InvoiceLine struct {
	Kind       string `json:"kind"`
	FeeVersion Uint   `json:"feeVersion"`
	From       string `json:"from"`
	To         string `json:"to"`
	Days       Uint   `json:"days"`  // days billed
	Basis      Uint   `json:"basis"` // days the fee is for (the year, or the order's date to 31 December); 0 for a one-off fee
	Fee        Uint   `json:"fee"`   // the fee the line is a share of, cents
	Cents      Uint   `json:"cents"` // Fee × Days / Basis, rounded half up to the cent
}

// InvoiceBasis is what an agreement's invoice for a year is computed from.
type InvoiceBasis struct {
	Year        Uint         `json:"year"`
	OrderDate   string       `json:"orderDate"`         // the date of the customer's order
	EndDate     string       `json:"endDate,omitempty"` // the last day of a terminated agreement
	Periods     []FeePeriod  `json:"periods"`
	FeeVersions []FeeVersion `json:"feeVersions"` // every version a period names
}

// Invoice is an invoice of an agreement for a year, write-once.
type Invoice struct {
	ID                string        `json:"id"` // anbieter:number
	Number            string        `json:"number"`
	Kind              string        `json:"kind"`
	TypeCode          Uint          `json:"typeCode"`
	Agreement         string        `json:"agreement"`
	Offering          string        `json:"offering"`
	Customer          string        `json:"customer"`
	Supplier          string        `json:"supplier"`
	Anbieter          string        `json:"anbieter"`
	Year              Uint          `json:"year"`
	IssueDate         string        `json:"issueDate"`
	Currency          string        `json:"currency"`
	Basis             InvoiceBasis  `json:"basis"`
	Lines             []InvoiceLine `json:"lines"`
	Computed          Uint          `json:"computed"`           // what the year's fees come to (the lines of InvoiceLines)
	Billed            Uint          `json:"billed"`             // what earlier invoices of the year billed, net of credits
	Corrects          string        `json:"corrects,omitempty"` // the invoice a corrective invoice corrects
	Net               Uint          `json:"net"`                // the sum of the lines
	PriceModelVersion Uint          `json:"priceModelVersion"`  // whose VAT treatment applies
	VATCategory       string        `json:"vatCategory"`
	VATRate           Uint          `json:"vatRate"`
	VATExemption      string        `json:"vatExemption,omitempty"`
	VAT               Uint          `json:"vat"`   // Net × VATRate / 10000, rounded half up
	Total             Uint          `json:"total"` // Net + VAT
	Hash              string        `json:"hash"`  // InvoiceHash of the above
	Issued            SignedAct     `json:"issued"`
}

// InvoiceID names the invoice an Anbieter numbered.
func InvoiceID(anbieter, number string) string { return anbieter + ":" + number }

// InvoiceRef names an invoice.
func InvoiceRef(id string) Ref { return Ref{Record: RecordInvoice, ID: id} }

// InvoiceNumberPattern: 1–40 characters, letters, digits, '.', '_', '-'.
const maxInvoiceNumber = 40

// IssueInvoiceMessage is the Anbieter's act that issues an agreement's
// invoice for a year under a number of its own.
type IssueInvoiceMessage struct {
	Agreement string `json:"agreement"`
	Anbieter  string `json:"anbieter"`
	Year      Uint   `json:"year"`
	Number    string `json:"number"`
	Replay
}

func (*IssueInvoiceMessage) PrimaryType() string { return TypeIssueInvoice }

func (m *IssueInvoiceMessage) normalize() {}

func (m *IssueInvoiceMessage) validate() error {
	return first(
		checkID("message.agreement", m.Agreement),
		checkID("message.anbieter", m.Anbieter),
		checkYear("message.year", m.Year),
		checkInvoiceNumber("message.number", m.Number),
		m.check(),
	)
}

func checkInvoiceNumber(field, n string) error {
	ok := len(n) >= 1 && len(n) <= maxInvoiceNumber && strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == "" &&
		!strings.ContainsAny(n[:1], "._-")
	if !ok {
		return Invalid(field, "must be 1–%d characters A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit", maxInvoiceNumber)
	}
	return nil
}
