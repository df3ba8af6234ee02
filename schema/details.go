package schema

import (
	"regexp"
	"strings"

	"github.com/efa-marktplatz/registry/schema/identifier"
)

// PartyDetails are what an invoice needs of a party: its postal address,
// a contact, an electronic address for e-invoices, tax identifiers and, for
// an Anbieter that issues invoices, the account to pay to. The member org
// that vouches for the party records them (RegisterParty, SetPartyDetails).
// Every field is optional on the ledger; what an XRechnung requires is
// checked when an invoice is rendered, naming the party and the field.
type PartyDetails struct {
	Street                  string `json:"street,omitempty"`
	PostalCode              string `json:"postalCode,omitempty"`
	City                    string `json:"city,omitempty"`
	Country                 string `json:"country,omitempty"` // ISO 3166-1 alpha-2, e.g. DE
	ContactName             string `json:"contactName,omitempty"`
	ContactPhone            string `json:"contactPhone,omitempty"`
	ContactEmail            string `json:"contactEmail,omitempty"`
	ElectronicAddress       string `json:"electronicAddress,omitempty"`       // BT-34 / BT-49
	ElectronicAddressScheme string `json:"electronicAddressScheme,omitempty"` // EAS code: EM (e-mail), 0204 (Leitweg-ID), 9930 (VAT id)
	VATID                   string `json:"vatId,omitempty"`                   // e.g. DE123456789
	TaxNumber               string `json:"taxNumber,omitempty"`               // the tax office's number
	IBAN                    string `json:"iban,omitempty"`
	BIC                     string `json:"bic,omitempty"`
}

// EAS codes the registry accepts for electronic addresses.
var easCodes = []string{"EM", "0204", "9930", "0088", "0060"}

var (
	postalCodeDE = regexp.MustCompile(`^[0-9]{5}$`)
	countryCode  = regexp.MustCompile(`^[A-Z]{2}$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phonePattern = regexp.MustCompile(`^\+?[0-9 ()/-]{5,30}$`)
	vatIDPattern = regexp.MustCompile(`^[A-Z]{2}[0-9A-Z]{2,13}$`)
	ibanPattern  = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[0-9A-Z]{11,30}$`)
	bicPattern   = regexp.MustCompile(`^[A-Z]{6}[0-9A-Z]{2}([0-9A-Z]{3})?$`)
)

// Normalize writes the identifiers in their canonical form.
func (d *PartyDetails) Normalize() {
	d.Country = strings.ToUpper(d.Country)
	d.VATID = strings.ToUpper(strings.ReplaceAll(d.VATID, " ", ""))
	d.IBAN = strings.ToUpper(strings.ReplaceAll(d.IBAN, " ", ""))
	d.BIC = strings.ToUpper(d.BIC)
}

// Validate checks the details' fields; an error names the field below
// prefix (e.g. "details.").
func (d *PartyDetails) Validate(prefix string) error {
	optional := func(field, v string, check func() bool, rule string) error {
		if v == "" || check() {
			return nil
		}
		return Invalid(prefix+field, "%s", rule)
	}
	return first(
		checkText(prefix+"street", d.Street, 0, 200),
		checkText(prefix+"city", d.City, 0, 100),
		optional("country", d.Country, func() bool { return countryCode.MatchString(d.Country) }, "must be an ISO 3166-1 alpha-2 code such as DE"),
		optional("postalCode", d.PostalCode, func() bool {
			if d.Country == "" || d.Country == "DE" {
				return postalCodeDE.MatchString(d.PostalCode)
			}
			return checkText("", d.PostalCode, 1, 20) == nil
		}, "must be a postal code (five digits in Germany)"),
		checkText(prefix+"contactName", d.ContactName, 0, 200),
		optional("contactPhone", d.ContactPhone, func() bool { return phonePattern.MatchString(d.ContactPhone) }, "must be a telephone number: digits, spaces, + ( ) / -"),
		optional("contactEmail", d.ContactEmail, func() bool { return len(d.ContactEmail) <= 254 && emailPattern.MatchString(d.ContactEmail) }, "must be an e-mail address"),
		checkText(prefix+"electronicAddress", d.ElectronicAddress, 0, 254),
		func() error {
			if (d.ElectronicAddress == "") != (d.ElectronicAddressScheme == "") {
				return Invalid(prefix+"electronicAddressScheme", "an electronic address and its scheme go together")
			}
			if d.ElectronicAddressScheme == "" {
				return nil
			}
			switch d.ElectronicAddressScheme {
			case "EM":
				if !emailPattern.MatchString(d.ElectronicAddress) {
					return Invalid(prefix+"electronicAddress", "must be an e-mail address for scheme EM")
				}
			case "0204":
				if err := checkLeitweg(prefix+"electronicAddress", d.ElectronicAddress); err != nil {
					return err
				}
			default:
				for _, c := range easCodes {
					if c == d.ElectronicAddressScheme {
						return nil
					}
				}
				return Invalid(prefix+"electronicAddressScheme", "must be one of the EAS codes %s", strings.Join(easCodes, ", "))
			}
			return nil
		}(),
		optional("vatId", d.VATID, func() bool { return vatIDPattern.MatchString(d.VATID) }, "must be a VAT identifier: country prefix and 2–13 letters or digits, e.g. DE123456789"),
		checkText(prefix+"taxNumber", d.TaxNumber, 0, 40),
		optional("iban", d.IBAN, func() bool { return ibanPattern.MatchString(d.IBAN) && ibanChecksum(d.IBAN) }, "must be an IBAN with valid check digits"),
		optional("bic", d.BIC, func() bool { return bicPattern.MatchString(d.BIC) }, "must be a BIC of 8 or 11 characters"),
	)
}

// ibanChecksum checks an IBAN's check digits (ISO 13616, mod 97 = 1).
func ibanChecksum(iban string) bool {
	s := iban[4:] + iban[:4]
	rem := 0
	for _, r := range s {
		var v int
		switch {
		case r >= '0' && r <= '9':
			v = int(r - '0')
			rem = (rem*10 + v) % 97
		case r >= 'A' && r <= 'Z':
			v = int(r-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
	}
	return rem == 1
}

func checkLeitweg(field, v string) error {
	if err := identifier.LeitwegID(v); err != nil {
		return Invalid(field, "%v", err)
	}
	return nil
}
