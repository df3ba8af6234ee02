// Package xrechnung writes and checks electronic invoices for German public buyers: EN 16931 in
// the UBL 2.1 syntax, narrowed by the XRechnung 3.0 CIUS.
//
// # Writing
//
// An Invoice is a neutral description of an invoice (money in int64 cents, dates as
// "YYYY-MM-DD"). Invoice.Validate checks it against the model rules the writer relies on and
// names the offending field; Marshal computes the totals and the single VAT breakdown from the
// lines in integer cents and writes an indented, deterministic UBL 2.1 Invoice (or CreditNote
// for type code 381) with CustomizationID CustomizationXRechnung. The writer supports one VAT
// category per invoice (S, Z, E, AE or O) and credit transfer (payment means 30 or 58).
//
// # Checking
//
// Check parses any UBL 2.1 Invoice or CreditNote into a namespace-aware element tree and
// evaluates the business rules below, translated from the official Schematron sources: CEN
// EN 16931 validation artefacts 1.3.15 (UBL), itplr-kosit/xrechnung-schematron 2.5.0 and the
// Peppol BIS Billing 3.0 rules it merges in. Each Violation carries the rule id, an XPath-like
// location and the severity of the official rule. Check is a fast in-process safety net for the
// registry's own invoices; it does not validate against the XML schema (the tests do, with
// xmllint) and it implements a subset of the rules. The official KoSIT validator
// (itplr-kosit/validator with the XRechnung configuration) remains the reference: a document
// it rejects is rejected, whatever Check says.
//
// Profile EN16931 runs the EN 16931 rules; profile XRechnung runs them plus the XRechnung and
// Peppol rules and SCENARIO.
//
// Implemented EN 16931 rules:
//
//   - mandatory elements: BR-01 … BR-16, BR-17 … BR-20, BR-21 … BR-28, BR-29, BR-30, BR-31 … BR-33,
//     BR-36 … BR-38, BR-41 … BR-57, BR-61 … BR-65, BR-CO-03, BR-CO-04, BR-CO-18 … BR-CO-24, BR-CO-26
//   - calculations: BR-CO-10 … BR-CO-17, BR-CO-25 (invoices only, as in the official rules)
//   - decimals: BR-DEC-01, 02, 05, 06, 09 … 20, 23 … 25, 27, 28 (BR-DEC-13/15 as their stated
//     intent; the official assertions are vacuous)
//   - VAT categories S, Z, E, AE and O: BR-S-01 … 10, BR-Z-01 … 10, BR-E-01 … 10, BR-AE-01 … 10,
//     BR-O-01 … 14; VAT identifier prefix BR-CO-09
//   - code lists: BR-CL-01, 03, 04, 05, 06, 10, 11, 14, 15, 16, 17, 18, 21, 22, 23, 25, 26
//   - UBL syntax binding: UBL-SR-01 … 03, 05 … 18, 22, 24 … 37, 39, 40, 42, 44, 45, 47 … 55,
//     UBL-DT-01, 06, 07
//
// Implemented XRechnung and Peppol rules (profile XRechnung):
//
//   - SCENARIO: the CustomizationID must name XRechnung 3.0 (CIUS, extension or CVD); otherwise
//     the official validator finds no scenario and rejects the document (BR-DE-21 is its
//     warning-level counterpart)
//   - BR-DE-1 … 11, BR-DE-14 … 28 (BR-DE-17, 19, 20, 21, 26, 27, 28 are warnings), BR-DE-23-a/b,
//     BR-DE-24-a/b, BR-DE-25-a/b, BR-DE-30, BR-DE-31, BR-TMP-2 (warning)
//   - extension documents only: BR-DEX-01 … 14 (BR-DEX-02 is a warning); BR-DEX-09 replaces
//     BR-CO-16 and BR-DEX-04 … 08 replace BR-CL-10, 11, 21, 25, 26 for them
//   - PEPPOL-EN16931-R001, R005, R008, R010, R020, R040 … R044, R046, R053 … R055, R061, R101,
//     R110, R111, R120 (a warning in XRechnung; tolerance 0.5 for HUF as in KoSIT's build), R121, R130
//
// Not implemented: the VAT categories K, G, L, M and B (BR-IC-*, BR-G-*, BR-AF-*, BR-AG-*,
// BR-B-*), BR-CL-07, 08, 13, 19, 20, 24, the warnings UBL-CR-* and UBL-DT-08 … 28, UBL-SR-04,
// 19 … 21, 23, 43, 46, the CVD rules BR-DE-CVD-* and BR-TMP-CVD-01, and the information-level
// BR-DE-TMP-32.
//
// Rules are evaluated with exact decimal arithmetic and the official rounding (round half
// towards positive infinity to two decimals) and tolerances. The tests check the implementation
// against the reference invoices and official verdicts in testdata/samples (cases.tsv).
//
// Structural problems are reported as two extra rule ids: "XML" for a document that is not
// well-formed and "UBL-ROOT" for a root element other than a UBL 2.1 Invoice or CreditNote.
package xrechnung
