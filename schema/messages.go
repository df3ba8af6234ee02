package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Uint is an unsigned 64-bit integer that JSON carries as a decimal string,
// because JavaScript numbers lose precision above 2^53. A plain JSON number
// is accepted on input.
type Uint uint64

func (u Uint) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(strconv.FormatUint(uint64(u), 10))), nil
}

// UnmarshalJSON reads a decimal string or a JSON number. Its errors say
// what the value must be, without quoting it.
func (u *Uint) UnmarshalJSON(b []byte) error {
	s := string(b)
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	digits := s != "" && strings.Trim(s, "0123456789") == ""
	switch {
	case !digits:
		return errors.New("must be an unsigned integer, written in decimal digits (best as a string: JavaScript loses precision above 2^53)")
	case len(s) > 1 && s[0] == '0':
		return errors.New("must be an unsigned integer without leading zeros")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("must be at most %d", uint64(math.MaxUint64))
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

// ReplayOf returns the nonce and deadline of a message.
func ReplayOf(m Message) *Replay { return m.replay() }

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
	case TypeReportUsage:
		return &ReportUsageMessage{}, nil
	case TypePublishAllocation:
		return &PublishAllocationMessage{}, nil
	case TypeAdjustFees:
		return &AdjustFeesMessage{}, nil
	case TypeIssueInvoice:
		return &IssueInvoiceMessage{}, nil
	}
	return nil, fmt.Errorf("unknown act type %q", primaryType)
}

// DecodeMessage parses and validates the JSON message of an act: unknown
// fields, trailing data and every broken rule are refused with an *Error
// naming the field.
func DecodeMessage(raw string, m Message) error {
	if err := DecodeStrict("message", []byte(raw), m); err != nil {
		return err
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

func (m *AddKeyMessage) normalize() { m.Key = canonicalAddress(m.Key) }

func (m *AddKeyMessage) validate() error {
	return first(
		checkID("message.party", m.Party),
		checkAddress("message.key", m.Key),
		checkTime("message.validFrom", m.ValidFrom),
		checkTime("message.validUntil", m.ValidUntil),
		func() error {
			if m.ValidUntil != 0 && m.ValidUntil <= m.ValidFrom {
				return Invalid("message.validUntil", "must be 0 (open-ended) or after validFrom")
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
				return Invalid("message.parentAgreement", "must name another agreement")
			}
			return nil
		}(), m.check())
}

func (m *EnterFeesMessage) normalize() { m.PriceModelHash = lowerHash(m.PriceModelHash) }

func (m *EnterFeesMessage) validate() error {
	return first(checkID("message.agreement", m.Agreement), checkVersion("message.feeVersion", m.FeeVersion),
		checkHash("message.priceModelHash", m.PriceModelHash),
		checkCents("message.annualFee", m.AnnualFee), checkCents("message.proRataFee", m.ProRataFee),
		checkCents("message.connectionFee", m.ConnectionFee),
		checkText("message.scopeOfUse", m.ScopeOfUse, 0, 10000), m.check())
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
