package schema

import "encoding/json"

// Stamp says which transaction last changed a record, and when.
type Stamp struct {
	TxID string `json:"txId"`
	Time string `json:"time"` // RFC 3339, the transaction timestamp
}

// SignedAct is an act as it was signed and accepted: the message, the
// signature, the recovered signer and the party it acted for, and the
// transaction that carried it.
type SignedAct struct {
	Type      string          `json:"type"`
	Message   json.RawMessage `json:"message"`
	Signature string          `json:"signature"`
	Signer    string          `json:"signer"`
	Party     string          `json:"party"`
	Digest    string          `json:"digest"`
	TxID      string          `json:"txId"`
	Time      string          `json:"time"`
	// ProofOfPossession is the new key's own signature (AddKey only).
	ProofOfPossession string `json:"proofOfPossession,omitempty"`
}

// Event is the payload of the chaincode event every state change emits.
type Event struct {
	Act        string `json:"act"`
	Record     string `json:"record"` // party, offering, priceModel, agreement
	ID         string `json:"id"`
	Status     string `json:"status,omitempty"`
	RecordHash string `json:"recordHash"` // SHA-256 of the record as stored
	TxID       string `json:"txId"`
}

// Page is one page of a listing.
type Page[T any] struct {
	Items    []T    `json:"items"`
	Bookmark string `json:"bookmark"` // "" on the last page
}

// HistoryEntry is one committed change of a record.
type HistoryEntry struct {
	TxID     string          `json:"txId"`
	Time     string          `json:"time"`
	IsDelete bool            `json:"isDelete"`
	Value    json.RawMessage `json:"value,omitempty"`
}

// Receipt is what the registry keeps of an accepted act under its signer's
// nonce: the transaction that carried it and the digest that was signed. An
// act sent again — the same signer, nonce and digest — is recognised by it,
// and answered with the original transaction.
type Receipt struct {
	TxID   string `json:"txId"`
	Digest string `json:"digest"`
}
