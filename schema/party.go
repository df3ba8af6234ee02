package schema

import (
	"slices"
	"strings"

	"github.com/efa-marktplatz/registry/schema/identifier"
)

// Party kinds.
const (
	KindBund            = "Bund"
	KindLand            = "Land"
	KindKommune         = "Kommune"
	KindITDienstleister = "IT-Dienstleister"
	KindAnbieter        = "Anbieter"
	KindBuendler        = "Bündler"
)

// PartyKinds lists the kinds of party.
var PartyKinds = []string{KindBund, KindLand, KindKommune, KindITDienstleister, KindAnbieter, KindBuendler}

// SupplierKinds may provide offerings (Bereitsteller); CustomerKinds may
// order them (Kunde/Nachnutzer; a Bündler buys for small municipalities).
var (
	SupplierKinds = []string{KindBund, KindLand, KindKommune, KindITDienstleister}
	CustomerKinds = []string{KindBund, KindLand, KindKommune, KindITDienstleister, KindBuendler}
)

// PartyRegistration is what a member org submits to register a party it vouches for.
type PartyRegistration struct {
	ID        string        `json:"id"`
	Kind      string        `json:"kind"`
	Name      string        `json:"name"`
	ARS       string        `json:"ars,omitempty"`
	AGS       string        `json:"ags,omitempty"`
	LeitwegID string        `json:"leitwegId,omitempty"`
	InHouse   []string      `json:"inHouse"`           // Anbieter the party may order from (§108 GWB)
	Details   *PartyDetails `json:"details,omitempty"` // what invoices need of the party
}

// Key is a signing key of a party with its validity window (Unix seconds;
// ValidUntil 0 means open-ended).
type Key struct {
	Address    string `json:"address"`
	ValidFrom  Uint   `json:"validFrom"`
	ValidUntil Uint   `json:"validUntil"`
	AddedTx    string `json:"addedTx"`
	RevokedTx  string `json:"revokedTx,omitempty"`
}

// ValidAt reports whether the key signs validly at t (Unix seconds).
func (k *Key) ValidAt(t int64) bool {
	at := Uint(max(t, 0))
	return k.ValidFrom <= at && (k.ValidUntil == 0 || at < k.ValidUntil)
}

// Party is a registered authority, supplier, Anbieter or Bündler.
type Party struct {
	PartyRegistration
	VouchedBy string `json:"vouchedBy"` // MSP id of the member org
	Keys      []Key  `json:"keys"`
	ActLog           // the signed key acts
	Updated   Stamp  `json:"updated"`
}

// Normalize gives absent lists their empty value.
func (r *PartyRegistration) Normalize() {
	r.InHouse = orEmpty(r.InHouse)
	if r.Details != nil {
		r.Details.Normalize()
	}
}

// Validate checks a registration's fields; an error names the field.
func (r *PartyRegistration) Validate() error {
	return first(
		checkID("id", r.ID),
		func() error {
			if !slices.Contains(PartyKinds, r.Kind) {
				return Invalid("kind", "must be one of %s", strings.Join(PartyKinds, ", "))
			}
			return nil
		}(),
		checkText("name", r.Name, 1, 200),
		func() error {
			if r.ARS != "" {
				if err := identifier.ARS(r.ARS); err != nil {
					return Invalid("ars", "%v", err)
				}
			}
			if r.AGS != "" {
				if err := identifier.AGS(r.AGS); err != nil {
					return Invalid("ags", "%v", err)
				}
			}
			if r.ARS != "" && r.AGS != "" {
				if err := identifier.ARSMatchesAGS(r.ARS, r.AGS); err != nil {
					return Invalid("ags", "%v", err)
				}
			}
			if r.Kind == KindKommune && r.ARS == "" && r.AGS == "" {
				return Invalid("ars", "a Kommune needs its ARS or AGS")
			}
			if (r.ARS != "" || r.AGS != "") && !slices.Contains([]string{KindKommune, KindLand}, r.Kind) {
				return Invalid("ars", "only a Kommune or a Land has an ARS or AGS")
			}
			return nil
		}(),
		func() error {
			if r.LeitwegID == "" {
				return nil
			}
			if err := identifier.LeitwegID(r.LeitwegID); err != nil {
				return Invalid("leitwegId", "%v", err)
			}
			return nil
		}(),
		ValidateInHouse(r.InHouse),
		func() error {
			if r.Details == nil {
				return nil
			}
			return r.Details.Validate("details.")
		}(),
	)
}

// DecodeDetails decodes a party's details strictly (fields named as in the
// JSON object, e.g. "iban"), normalizes and validates them.
func DecodeDetails(raw []byte) (*PartyDetails, error) {
	var d PartyDetails
	if err := DecodeStrict("", raw, &d); err != nil {
		return nil, err
	}
	d.Normalize()
	if err := d.Validate(""); err != nil {
		return nil, err
	}
	return &d, nil
}

// ValidateInHouse checks a list of the Anbieter a party may order from: at
// most 50 party ids, none repeated.
func ValidateInHouse(ids []string) error {
	return checkList("inHouse", ids, 50, func(id string) error { return checkID("", id) })
}

// DecodeRegistration decodes a party registration strictly (every field
// named as in the JSON object, e.g. "kind", "inHouse[2]"), normalizes and
// validates it.
func DecodeRegistration(raw []byte) (*PartyRegistration, error) {
	var r PartyRegistration
	if err := DecodeStrict("", raw, &r); err != nil {
		return nil, err
	}
	r.Normalize()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// DecodeInHouse decodes the Anbieter a party may order from — a JSON array
// of party ids — strictly and validates them.
func DecodeInHouse(raw []byte) ([]string, error) {
	ids := []string{}
	if err := DecodeStrictValue("inHouse", raw, &ids); err != nil {
		return nil, err
	}
	return ids, ValidateInHouse(ids)
}
