package xrechnung

import (
	"fmt"
)

// Profile selects the rule set Check applies.
type Profile int

const (
	// XRechnung applies the EN 16931 rules, the XRechnung 3.0 CIUS rules (BR-DE-*, and BR-DEX-*
	// for documents of the XRechnung extension) and the Peppol rules KoSIT merges into XRechnung;
	// the CustomizationID must name XRechnung 3.0 (rule SCENARIO).
	XRechnung Profile = iota
	// EN16931 applies only the EN 16931 rules (CEN validation artefacts: BR-*, BR-CO-*, BR-DEC-*,
	// BR-CL-*, the VAT category rules and the UBL syntax binding rules UBL-SR-*/UBL-DT-*).
	EN16931
)

// String implements fmt.Stringer.
func (p Profile) String() string {
	switch p {
	case XRechnung:
		return "XRechnung"
	case EN16931:
		return "EN16931"
	}
	return fmt.Sprintf("Profile(%d)", int(p))
}

// Severity is the weight of a violation, following the flag of the official rule.
type Severity int

const (
	// SeverityError marks a violation the official validator reports as an error (flag "fatal");
	// such a document is rejected.
	SeverityError Severity = iota
	// SeverityWarning marks a violation of a rule the official validator reports as a warning.
	SeverityWarning
)

// String implements fmt.Stringer.
func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Violation is a rule a document breaks.
type Violation struct {
	Rule     string   // rule id as in the specifications, e.g. "BR-DE-15" or "PEPPOL-EN16931-R053"
	Path     string   // XPath-like location of the context element, e.g. /ubl:Invoice/cac:InvoiceLine[2]
	Message  string   // what is wrong
	Severity Severity // SeverityError unless the official rule is a warning
}

// String formats the violation as "RULE [severity] path: message".
func (v Violation) String() string {
	return fmt.Sprintf("%s [%s] %s: %s", v.Rule, v.Severity, v.Path, v.Message)
}

// Errors returns the violations of severity SeverityError; a document is acceptable when there
// are none.
func Errors(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Severity == SeverityError {
			out = append(out, v)
		}
	}
	return out
}

// Check parses a UBL 2.1 Invoice or CreditNote and returns the violations of the rules of profile
// p that this package implements (see the package documentation), in a deterministic order. A
// document that is not well-formed XML yields a single violation "XML"; a root element other than
// a UBL 2.1 Invoice or CreditNote yields a single violation "UBL-ROOT". Check does not validate
// against the XML schema.
func Check(doc []byte, p Profile) []Violation {
	root, err := parseTree(doc)
	if err != nil {
		return []Violation{{Rule: "XML", Path: "/", Message: "not well-formed XML: " + err.Error()}}
	}
	c := &checker{root: root, profile: p}
	switch {
	case root.space == nsInvoice && root.local == "Invoice":
		c.line, c.qty, c.typeCode = "cac:InvoiceLine", "cbc:InvoicedQuantity", "cbc:InvoiceTypeCode"
	case root.space == nsCreditNote && root.local == "CreditNote":
		c.credit = true
		c.line, c.qty, c.typeCode = "cac:CreditNoteLine", "cbc:CreditedQuantity", "cbc:CreditNoteTypeCode"
	default:
		return []Violation{{Rule: "UBL-ROOT", Path: "/" + root.local,
			Message: fmt.Sprintf("root element {%s}%s is neither a UBL 2.1 Invoice nor CreditNote", root.space, root.local)}}
	}
	c.lines = root.children(c.line)
	for _, id := range root.children("cbc:CustomizationID") {
		if id.value() == CustomizationXRechnungExtension {
			c.extension = true
		}
	}

	c.checkDocument()
	c.checkParties()
	c.checkPayment()
	c.checkLines()
	c.checkAllowanceCharges()
	c.checkPeriods()
	c.checkMisc()
	c.checkTotals()
	c.checkTaxBreakdown()
	c.checkDecimals()
	c.checkVATCategories()
	c.checkCodeLists()
	c.checkSyntax()
	if p == XRechnung {
		c.checkScenario()
		c.checkGerman()
		c.checkGermanPayment()
		c.checkExtension()
		c.checkPeppol()
	}
	return c.out
}

// checker holds the parsed document and collects violations.
type checker struct {
	root      *node
	profile   Profile
	credit    bool    // a CreditNote document
	extension bool    // CustomizationID names the XRechnung extension
	line      string  // "cac:InvoiceLine" or "cac:CreditNoteLine"
	qty       string  // "cbc:InvoicedQuantity" or "cbc:CreditedQuantity"
	typeCode  string  // "cbc:InvoiceTypeCode" or "cbc:CreditNoteTypeCode"
	lines     []*node // the document's lines
	out       []Violation
}

// fail records an error of rule at the context node n.
func (c *checker) fail(rule string, n *node, format string, args ...any) {
	c.out = append(c.out, Violation{Rule: rule, Path: n.path(), Message: fmt.Sprintf(format, args...)})
}

// warn records a warning of rule at the context node n.
func (c *checker) warn(rule string, n *node, format string, args ...any) {
	c.out = append(c.out, Violation{Rule: rule, Path: n.path(), Message: fmt.Sprintf(format, args...), Severity: SeverityWarning})
}

// assert records an error of rule at n unless ok.
func (c *checker) assert(ok bool, rule string, n *node, msg string) {
	if !ok {
		c.fail(rule, n, "%s", msg)
	}
}
