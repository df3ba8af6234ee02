package chaincode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/efa-marktplatz/registry/chaincode/identifier"
	"github.com/ethereum/go-ethereum/common"
)

// Uint is an unsigned 64-bit integer that JSON carries as a decimal string,
// because JavaScript numbers lose precision above 2^53. A plain JSON number
// is accepted on input.
type Uint uint64

func (u Uint) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(strconv.FormatUint(uint64(u), 10))), nil
}

func (u *Uint) UnmarshalJSON(b []byte) error {
	s := string(b)
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	if s == "" || s[0] == '+' || s[0] == '-' || (len(s) > 1 && s[0] == '0') {
		return fmt.Errorf("not a canonical unsigned decimal integer: %s", b)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an unsigned 64-bit integer: %s", b)
	}
	*u = Uint(n)
	return nil
}

// Replay holds what every act carries against replay: a nonce the signer
// never used before and a deadline (Unix seconds) after which the act is void.
type Replay struct {
	Nonce    string `json:"nonce"`
	Deadline Uint   `json:"deadline"`
}

// Message is the typed message of an act, as the acting party signed it.
type Message interface {
	PrimaryType() string
	replay() *Replay
	normalize()
	validate() error
}

func (r *Replay) replay() *Replay { return r }

// AddKeyMessage adds a signing key (an Ethereum address) to a party.
type AddKeyMessage struct {
	Party      string `json:"party"`
	Key        string `json:"key"`
	ValidFrom  Uint   `json:"validFrom"`
	ValidUntil Uint   `json:"validUntil"` // 0: open-ended
	Replay
}

// RevokeKeyMessage ends a key's validity at the transaction's time.
type RevokeKeyMessage struct {
	Party string `json:"party"`
	Key   string `json:"key"`
	Replay
}

// OfferingContent is the content of an offering version; its EIP-712
// digest (type Offering) is the version's hash.
type OfferingContent struct {
	Offering           string   `json:"offering"`
	Version            Uint     `json:"version"`
	Supplier           string   `json:"supplier"`
	Anbieter           string   `json:"anbieter"`
	Kind               string   `json:"kind"`
	Title              string   `json:"title"`
	Description        string   `json:"description"`
	Themenfeld         string   `json:"themenfeld"`
	LeiKaKeys          []string `json:"leikaKeys"`
	OZGIDs             []string `json:"ozgIds"`
	EfaFinanced        bool     `json:"efaFinanced"`
	CostInfrastructure Uint     `json:"costInfrastructure"` // (a) infrastructure operation, cents per year
	CostDevelopment    Uint     `json:"costDevelopment"`    // (b) development and change management
	CostPlatform       Uint     `json:"costPlatform"`       // (c) platform fee share
	CostOperation      Uint     `json:"costOperation"`      // (d) operation incl. support
	CostUsage          Uint     `json:"costUsage"`          // (e) usage-caused costs (print, postage)
	DocumentHashes     []string `json:"documentHashes"`     // SHA-256 of the contract documents kept off-chain
}

// SubmitOfferingMessage submits a new offering, or a new version of one.
type SubmitOfferingMessage struct {
	OfferingContent
	Replay
}

// AcceptOfferingMessage publishes an offering version on the marketplace.
type AcceptOfferingMessage struct {
	Offering     string `json:"offering"`
	Version      Uint   `json:"version"`
	OfferingHash string `json:"offeringHash"`
	Replay
}

// WithdrawOfferingMessage takes an offering off the marketplace.
type WithdrawOfferingMessage struct {
	Offering string `json:"offering"`
	Party    string `json:"party"`
	Reason   string `json:"reason"`
	Replay
}

// PriceModelContent is a price-model version; its EIP-712 digest (type
// PriceModel) is the version's hash. Weights are basis points (10000 = 100 %).
type PriceModelContent struct {
	Offering            string `json:"offering"`
	Version             Uint   `json:"version"`
	PredecessorHash     string `json:"predecessorHash"`
	ValidFrom           string `json:"validFrom"`
	DistributionKey     string `json:"distributionKey"`
	WeightInhabitants   Uint   `json:"weightInhabitants"`
	WeightCases         Uint   `json:"weightCases"`
	WeightTargetGroup   Uint   `json:"weightTargetGroup"`
	WeightKoenigsteiner Uint   `json:"weightKoenigsteiner"`
	AnnualFee           Uint   `json:"annualFee"`     // cents per calendar year
	ProRataFee          Uint   `json:"proRataFee"`    // cents for the signing year
	ConnectionFee       Uint   `json:"connectionFee"` // one-off, cents
	ScopeOfUse          string `json:"scopeOfUse"`
}

// PublishPriceModelMessage publishes a price-model version.
type PublishPriceModelMessage struct {
	PriceModelContent
	Replay
}

// ExpressInterestMessage opens a usage agreement.
type ExpressInterestMessage struct {
	Agreement       string `json:"agreement"`
	Offering        string `json:"offering"`
	Customer        string `json:"customer"`
	ParentAgreement string `json:"parentAgreement"` // "" when none
	Replay
}

// EnterFeesMessage enters a fee version of an agreement.
type EnterFeesMessage struct {
	Agreement      string `json:"agreement"`
	FeeVersion     Uint   `json:"feeVersion"`
	PriceModelHash string `json:"priceModelHash"`
	AnnualFee      Uint   `json:"annualFee"`
	ProRataFee     Uint   `json:"proRataFee"`
	ConnectionFee  Uint   `json:"connectionFee"`
	ScopeOfUse     string `json:"scopeOfUse"`
	Replay
}

// ApproveFeesMessage approves the terms of a fee version.
type ApproveFeesMessage struct {
	Agreement  string `json:"agreement"`
	Party      string `json:"party"`
	FeeVersion Uint   `json:"feeVersion"`
	TermsHash  string `json:"termsHash"`
	Replay
}

// PlaceOrderMessage is the customer's binding order of approved terms.
type PlaceOrderMessage struct {
	Agreement string `json:"agreement"`
	TermsHash string `json:"termsHash"`
	Replay
}

// TerminateMessage ends an agreement at a date.
type TerminateMessage struct {
	Agreement string `json:"agreement"`
	Party     string `json:"party"`
	EndDate   string `json:"endDate"`
	Reason    string `json:"reason"`
	Replay
}

func (*AddKeyMessage) PrimaryType() string            { return TypeAddKey }
func (*RevokeKeyMessage) PrimaryType() string         { return TypeRevokeKey }
func (*SubmitOfferingMessage) PrimaryType() string    { return TypeSubmitOffering }
func (*AcceptOfferingMessage) PrimaryType() string    { return TypeAcceptOffering }
func (*WithdrawOfferingMessage) PrimaryType() string  { return TypeWithdrawOffering }
func (*PublishPriceModelMessage) PrimaryType() string { return TypePublishPriceModel }
func (*ExpressInterestMessage) PrimaryType() string   { return TypeExpressInterest }
func (*EnterFeesMessage) PrimaryType() string         { return TypeEnterFees }
func (*ApproveFeesMessage) PrimaryType() string       { return TypeApproveFees }
func (*PlaceOrderMessage) PrimaryType() string        { return TypePlaceOrder }
func (*TerminateMessage) PrimaryType() string         { return TypeTerminate }

// NewMessage returns an empty message of an act type.
func NewMessage(primaryType string) (Message, error) {
	switch primaryType {
	case TypeAddKey:
		return &AddKeyMessage{}, nil
	case TypeRevokeKey:
		return &RevokeKeyMessage{}, nil
	case TypeSubmitOffering:
		return &SubmitOfferingMessage{}, nil
	case TypeAcceptOffering:
		return &AcceptOfferingMessage{}, nil
	case TypeWithdrawOffering:
		return &WithdrawOfferingMessage{}, nil
	case TypePublishPriceModel:
		return &PublishPriceModelMessage{}, nil
	case TypeExpressInterest:
		return &ExpressInterestMessage{}, nil
	case TypeEnterFees:
		return &EnterFeesMessage{}, nil
	case TypeApproveFees:
		return &ApproveFeesMessage{}, nil
	case TypePlaceOrder:
		return &PlaceOrderMessage{}, nil
	case TypeTerminate:
		return &TerminateMessage{}, nil
	}
	return nil, fmt.Errorf("unknown act type %q", primaryType)
}

// DecodeMessage parses and validates the JSON message of an act: unknown
// fields, trailing data and every broken rule are refused with an *Error
// naming the field.
func DecodeMessage(raw string, m Message) error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(m); err != nil {
		return invalid("message", "must be a JSON object of the fields of %s: %v", m.PrimaryType(), err)
	}
	if dec.More() {
		return invalid("message", "must be one JSON object, without trailing data")
	}
	m.normalize()
	return m.validate()
}

// TypedMessage returns a message as the EIP-712 message map that was signed.
func TypedMessage(m any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// ---- validation rules ----

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	hashPattern = regexp.MustCompile(`^0x[0-9a-f]{64}$`)
	addrPattern = regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`)
	noncePat    = regexp.MustCompile(`^(0|[1-9][0-9]{0,77})$`)
	maxUint256  = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
)

// ZeroHash is the predecessor hash of a first version.
const ZeroHash = "0x0000000000000000000000000000000000000000000000000000000000000000"

func checkID(field, v string) error {
	if !idPattern.MatchString(v) {
		return invalid(field, "must be 1–64 characters a–z, 0–9, '.', '_' or '-', starting with a letter or digit")
	}
	return nil
}

func checkOptionalID(field, v string) error {
	if v == "" {
		return nil
	}
	return checkID(field, v)
}

func checkText(field, v string, min, max int) error {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		return invalid(field, "must be valid UTF-8")
	case strings.TrimSpace(v) != v:
		return invalid(field, "must not begin or end with white space")
	case n < min:
		return invalid(field, "must not be empty")
	case n > max:
		return invalid(field, "must be at most %d characters", max)
	}
	return nil
}

func checkHash(field, v string) error {
	if !hashPattern.MatchString(v) {
		return invalid(field, "must be a 32-byte hash: 0x and 64 lower-case hex digits")
	}
	return nil
}

func checkDate(field, v string) error {
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return invalid(field, "must be a date YYYY-MM-DD")
	}
	return nil
}

func checkVersion(field string, v Uint) error {
	if v == 0 {
		return invalid(field, "must be 1 or more")
	}
	return nil
}

func (r *Replay) check() error {
	if !noncePat.MatchString(r.Nonce) {
		return invalid("message.nonce", "must be an unsigned 256-bit integer in canonical decimal")
	}
	if n, _ := new(big.Int).SetString(r.Nonce, 10); n.Cmp(maxUint256) > 0 {
		return invalid("message.nonce", "must be below 2^256")
	}
	if r.Deadline == 0 {
		return invalid("message.deadline", "must be a time in Unix seconds")
	}
	return nil
}

func canonicalAddress(a string) string {
	if !addrPattern.MatchString(a) {
		return a
	}
	return common.HexToAddress(a).Hex()
}

func checkAddress(field, a string) error {
	if !addrPattern.MatchString(a) {
		return invalid(field, "must be an Ethereum address: 0x and 40 hex digits")
	}
	return nil
}

func lowerHash(h string) string {
	if strings.HasPrefix(h, "0x") || strings.HasPrefix(h, "0X") {
		return "0x" + strings.ToLower(h[2:])
	}
	return h
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func checkList(field string, items []string, max int, check func(string) error) error {
	if len(items) > max {
		return invalid(field, "must hold at most %d entries", max)
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := check(it); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return invalid(f, "%s", e.Rule)
			}
			return invalid(f, "%v", err)
		}
		if seen[it] {
			return invalid(f, "must not repeat %q", it)
		}
		seen[it] = true
	}
	return nil
}

func (m *AddKeyMessage) normalize() { m.Key = canonicalAddress(m.Key) }

func (m *AddKeyMessage) validate() error {
	return first(
		checkID("message.party", m.Party),
		checkAddress("message.key", m.Key),
		func() error {
			if m.ValidUntil != 0 && m.ValidUntil <= m.ValidFrom {
				return invalid("message.validUntil", "must be 0 (open-ended) or after validFrom")
			}
			return nil
		}(),
		m.check(),
	)
}

func (m *RevokeKeyMessage) normalize() { m.Key = canonicalAddress(m.Key) }

func (m *RevokeKeyMessage) validate() error {
	return first(checkID("message.party", m.Party), checkAddress("message.key", m.Key), m.check())
}

// Offering kinds: OZG online services, and the back-office systems, base
// components and cloud services the marketplace also books as SaaS.
const (
	KindOZGService      = "ozg-service"
	KindFachverfahren   = "fachverfahren"
	KindBasiskomponente = "basiskomponente"
	KindCloudService    = "cloud-service"
)

// OfferingKinds lists the kinds of offering.
var OfferingKinds = []string{KindOZGService, KindFachverfahren, KindBasiskomponente, KindCloudService}

func (c *OfferingContent) normalize() {
	c.LeiKaKeys, c.OZGIDs = orEmpty(c.LeiKaKeys), orEmpty(c.OZGIDs)
	c.DocumentHashes = orEmpty(c.DocumentHashes)
	for i, h := range c.DocumentHashes {
		c.DocumentHashes[i] = lowerHash(h)
	}
}

func (c *OfferingContent) validate(prefix string) error {
	return first(
		checkID(prefix+"offering", c.Offering),
		checkVersion(prefix+"version", c.Version),
		checkID(prefix+"supplier", c.Supplier),
		checkID(prefix+"anbieter", c.Anbieter),
		func() error {
			if !slices.Contains(OfferingKinds, c.Kind) {
				return invalid(prefix+"kind", "must be one of %s", strings.Join(OfferingKinds, ", "))
			}
			return nil
		}(),
		checkText(prefix+"title", c.Title, 1, 200),
		checkText(prefix+"description", c.Description, 0, 10000),
		func() error {
			if c.Themenfeld == "" && c.Kind != KindOZGService {
				return nil
			}
			if err := identifier.Themenfeld(c.Themenfeld); err != nil {
				return invalid(prefix+"themenfeld", "%v", err)
			}
			return nil
		}(),
		checkList(prefix+"leikaKeys", c.LeiKaKeys, 100, identifier.LeiKa),
		checkList(prefix+"ozgIds", c.OZGIDs, 100, identifier.OZGID),
		func() error {
			if c.Kind != KindOZGService && (len(c.LeiKaKeys) > 0 || len(c.OZGIDs) > 0) {
				return invalid(prefix+"kind", "only an %s has LeiKa keys and OZG-IDs", KindOZGService)
			}
			return nil
		}(),
		checkList(prefix+"documentHashes", c.DocumentHashes, 50, func(h string) error { return checkHash("", h) }),
	)
}

func (m *SubmitOfferingMessage) normalize() { m.OfferingContent.normalize() }

func (m *SubmitOfferingMessage) validate() error {
	return first(m.OfferingContent.validate("message."), m.check())
}

func (m *AcceptOfferingMessage) normalize() { m.OfferingHash = lowerHash(m.OfferingHash) }

func (m *AcceptOfferingMessage) validate() error {
	return first(checkID("message.offering", m.Offering), checkVersion("message.version", m.Version),
		checkHash("message.offeringHash", m.OfferingHash), m.check())
}

func (m *WithdrawOfferingMessage) normalize() {}

func (m *WithdrawOfferingMessage) validate() error {
	return first(checkID("message.offering", m.Offering), checkID("message.party", m.Party),
		checkText("message.reason", m.Reason, 0, 2000), m.check())
}

// Distribution keys for splitting a service's costs among its users.
const (
	KeyInhabitants   = "inhabitants"
	KeyCases         = "cases"
	KeyTargetGroup   = "targetGroup"
	KeyKoenigsteiner = "koenigsteiner"
	KeyCombination   = "combination"
)

// DistributionKeys lists the distribution keys.
var DistributionKeys = []string{KeyInhabitants, KeyCases, KeyTargetGroup, KeyKoenigsteiner, KeyCombination}

func (c *PriceModelContent) normalize() { c.PredecessorHash = lowerHash(c.PredecessorHash) }

func (c *PriceModelContent) validate(prefix string) error {
	weights := map[string]Uint{
		KeyInhabitants: c.WeightInhabitants, KeyCases: c.WeightCases,
		KeyTargetGroup: c.WeightTargetGroup, KeyKoenigsteiner: c.WeightKoenigsteiner,
	}
	return first(
		checkID(prefix+"offering", c.Offering),
		checkVersion(prefix+"version", c.Version),
		checkHash(prefix+"predecessorHash", c.PredecessorHash),
		checkDate(prefix+"validFrom", c.ValidFrom),
		func() error {
			if !slices.Contains(DistributionKeys, c.DistributionKey) {
				return invalid(prefix+"distributionKey", "must be one of %s", strings.Join(DistributionKeys, ", "))
			}
			var sum uint64
			used := 0
			for _, k := range DistributionKeys[:4] {
				sum += uint64(weights[k])
				if weights[k] > 0 {
					used++
				}
			}
			switch {
			case sum != 10000:
				return invalid(prefix+"weightInhabitants", "the four weights must add up to 10000 basis points, not %d", sum)
			case c.DistributionKey == KeyCombination && used < 2:
				return invalid(prefix+"distributionKey", "a combination weights at least two keys")
			case c.DistributionKey != KeyCombination && weights[c.DistributionKey] != 10000:
				return invalid(prefix+"distributionKey", "a single key %s carries the whole weight of 10000", c.DistributionKey)
			}
			return nil
		}(),
		checkText(prefix+"scopeOfUse", c.ScopeOfUse, 0, 10000),
	)
}

func (m *PublishPriceModelMessage) normalize() { m.PriceModelContent.normalize() }

func (m *PublishPriceModelMessage) validate() error {
	return first(m.PriceModelContent.validate("message."), m.check())
}

func (m *ExpressInterestMessage) normalize() {}

func (m *ExpressInterestMessage) validate() error {
	return first(checkID("message.agreement", m.Agreement), checkID("message.offering", m.Offering),
		checkID("message.customer", m.Customer), checkOptionalID("message.parentAgreement", m.ParentAgreement),
		func() error {
			if m.ParentAgreement == m.Agreement {
				return invalid("message.parentAgreement", "must name another agreement")
			}
			return nil
		}(), m.check())
}

func (m *EnterFeesMessage) normalize() { m.PriceModelHash = lowerHash(m.PriceModelHash) }

func (m *EnterFeesMessage) validate() error {
	return first(checkID("message.agreement", m.Agreement), checkVersion("message.feeVersion", m.FeeVersion),
		checkHash("message.priceModelHash", m.PriceModelHash), checkText("message.scopeOfUse", m.ScopeOfUse, 0, 10000), m.check())
}

func (m *ApproveFeesMessage) normalize() { m.TermsHash = lowerHash(m.TermsHash) }

func (m *ApproveFeesMessage) validate() error {
	return first(checkID("message.agreement", m.Agreement), checkID("message.party", m.Party),
		checkVersion("message.feeVersion", m.FeeVersion), checkHash("message.termsHash", m.TermsHash), m.check())
}

func (m *PlaceOrderMessage) normalize() { m.TermsHash = lowerHash(m.TermsHash) }

func (m *PlaceOrderMessage) validate() error {
	return first(checkID("message.agreement", m.Agreement), checkHash("message.termsHash", m.TermsHash), m.check())
}

func (m *TerminateMessage) normalize() {}

func (m *TerminateMessage) validate() error {
	return first(checkID("message.agreement", m.Agreement), checkID("message.party", m.Party),
		checkDate("message.endDate", m.EndDate), checkText("message.reason", m.Reason, 0, 2000), m.check())
}

// first returns the first non-nil error.
func first(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
