package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
)

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

// ActLog is how a record keeps the signed acts on it. Each act is stored
// under a key of its own (ActKey, numbered from 1); the record only counts
// them, so that an act costs the same however many came before it. The
// registry's answers join them: Acts when the record is read, Act in the
// answer to an act. Neither is stored with the record.
type ActLog struct {
	ActCount Uint        `json:"actCount"`
	Acts     []SignedAct `json:"acts,omitempty"` // every act, in order, in a read of the record ([] for none)
	Act      *SignedAct  `json:"act,omitempty"`  // the act an act's answer is about
}

// Stored returns the log as the record stores it: the count alone.
func (l ActLog) Stored() ActLog { return ActLog{ActCount: l.ActCount} }

// StorageFormat names how the registry lays out its records: 2 keeps each
// signed act under a key of its own and the count in the record (ActLog);
// format 1 kept the acts inside their records. There is no migration.
const StorageFormat = "efa-registry-storage/2"

// CheckStored refuses the log of a record as stored that holds its acts
// (storage format 1): read as format 2, it would count none of them, and the
// next act would number itself the first. record and id name the record.
func (l ActLog) CheckStored(record Record, id string) error {
	if len(l.Acts) == 0 && l.Act == nil {
		return nil
	}
	return fmt.Errorf("%s %s is stored with its signed acts inside it (an older storage format); "+
		"this registry reads %s, which keeps each act under a key of its own, and does not migrate: "+
		"serve this ledger with the build that wrote it", record, id, StorageFormat)
}

// AnswerOf is the answer to an act, as JSON: the record as the act stored
// it, with the act as "act".
func AnswerOf(stored, act []byte) ([]byte, error) {
	return AddMembers(stored, member("act", act))
}

// ReadOf is a record as a read answers it, as JSON: as stored, with its
// acts as "acts", in order ([] when there are none).
func ReadOf(stored []byte, acts [][]byte) ([]byte, error) {
	list := append([]byte{'['}, bytes.Join(acts, []byte{','})...)
	return AddMembers(stored, member("acts", append(list, ']')))
}

// member is a JSON object of one member, name: value (value JSON).
func member(name string, value []byte) []byte {
	out := make([]byte, 0, len(name)+len(value)+5)
	out = append(out, '{', '"')
	out = append(out, name...)
	out = append(out, '"', ':')
	out = append(out, value...)
	return append(out, '}')
}

// AddMembers appends the members of one JSON object to another, without
// decoding either (answers pass records on as the chaincode wrote them).
// Both must be JSON objects. The caller sees to it that no name is in
// both: the registry adds only names a stored record never holds at its top
// level ("act", "acts", "txId", "blockNumber").
func AddMembers(object, members []byte) ([]byte, error) {
	o, m := bytes.TrimSpace(object), bytes.TrimSpace(members)
	if !isObject(o) {
		return nil, fmt.Errorf("schema: add members: not a JSON object: %.64q", o)
	}
	if !isObject(m) {
		return nil, fmt.Errorf("schema: add members: the members are not a JSON object: %.64q", m)
	}
	own, more := bytes.TrimSpace(o[1:len(o)-1]), bytes.TrimSpace(m[1:len(m)-1])
	if len(more) == 0 {
		return o, nil
	}
	out := make([]byte, 0, len(own)+len(more)+3)
	out = append(out, '{')
	out = append(out, own...)
	if len(own) > 0 {
		out = append(out, ',')
	}
	out = append(out, more...)
	return append(out, '}'), nil
}

func isObject(b []byte) bool { return len(b) >= 2 && b[0] == '{' && b[len(b)-1] == '}' }

// Event is the payload of the chaincode event every state change emits.
type Event struct {
	Act        string `json:"act"`
	Record     string `json:"record"` // party, offering, priceModel, agreement
	ID         string `json:"id"`
	Status     string `json:"status,omitempty"`
	RecordHash string `json:"recordHash"` // SHA-256 of the record as stored
	TxID       string `json:"txId"`
}

// ActFeesAdjusted is the act of the September fee adjustment. It changes
// many agreements in one transaction; its event names the offering and
// hashes the adjustment's answer (the fee versions entered), which is not a
// stored record.
const ActFeesAdjusted = "FeesAdjusted"

// ActFiguresRecorded records a batch of reference figures (one record per
// subject) in one transaction; its event names the batch, kind/year, and
// hashes the batch's answer.
const ActFiguresRecorded = "FiguresRecorded"

// HashesRecord reports whether the event's RecordHash is the hash of the
// record it names as its transaction stored it: every act's event but
// those that sum up several records (the fee adjustment, a batch of
// figures).
func (e Event) HashesRecord() bool { return e.Act != ActFeesAdjusted && e.Act != ActFiguresRecorded }

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
