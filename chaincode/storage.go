package chaincode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/efa-marktplatz/registry/schema"
)

// The chaincode's own state beside the records (whose object types are the
// schema.Record kinds): the party that owns a key address, the nonces each
// signer spent, and the price-model version a hash names.
const (
	keyKeyOwner       = "keyOwner"
	keyNonce          = "nonce"
	keyPriceModelHash = "priceModelHash"
)

func (t *tx) key(objectType string, attrs ...string) (string, error) {
	k, err := t.stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", fmt.Errorf("key %s%q: %w", objectType, attrs, err)
	}
	return k, nil
}

// get reads a JSON value; it reports false when the key does not exist.
func (t *tx) get(out any, objectType string, attrs ...string) (bool, error) {
	k, err := t.key(objectType, attrs...)
	if err != nil {
		return false, err
	}
	raw, err := t.stub.GetState(k)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", objectType, err)
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return false, fmt.Errorf("decode %s %q: %w", objectType, attrs, err)
	}
	return true, nil
}

func (t *tx) exists(objectType string, attrs ...string) (bool, error) {
	k, err := t.key(objectType, attrs...)
	if err != nil {
		return false, err
	}
	raw, err := t.stub.GetState(k)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", objectType, err)
	}
	return raw != nil, nil
}

// put writes a JSON value and returns its encoding.
func (t *tx) put(v any, objectType string, attrs ...string) ([]byte, error) {
	k, err := t.key(objectType, attrs...)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", objectType, err)
	}
	if err := t.stub.PutState(k, raw); err != nil {
		return nil, fmt.Errorf("write %s: %w", objectType, err)
	}
	return raw, nil
}

// putOnce writes a write-once value, refusing to overwrite one; field names
// the input that chose the key.
func (t *tx) putOnce(field string, v any, objectType string, attrs ...string) ([]byte, error) {
	found, err := t.exists(objectType, attrs...)
	if err != nil {
		return nil, err
	}
	if found {
		return nil, schema.Conflict(field, "%s %s exists and is write-once", objectType, strings.Join(attrs, "/"))
	}
	return t.put(v, objectType, attrs...)
}

// A kind is a record the contract keeps under its id and changes in place
// (party, offering, agreement): what load and save need to know of it.
type kind[T any] struct {
	record  schema.Record
	id      func(*T) string
	updated func(*T) *schema.Stamp
	log     func(*T) *schema.ActLog // the signed acts on it
	status  func(*T) string         // the status its events carry; nil: none
	indexes func(*T) []indexEntry   // nil: none
}

// find reads the record with an id; nil when there is none. A record of an
// older storage format is refused (schema.ActLog.CheckStored).
func (k kind[T]) find(t *tx, id string) (*T, error) {
	var v T
	found, err := t.get(&v, string(k.record), id)
	if err != nil || !found {
		return nil, err
	}
	if err := k.log(&v).CheckStored(k.record, id); err != nil {
		return nil, err
	}
	return &v, nil
}

// load reads the record an act names in field, refusing a missing one.
func (k kind[T]) load(t *tx, field, id string) (*T, error) {
	v, err := k.find(t, id)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, schema.NotFound(field, "no %s %q", k.record, id)
	}
	return v, nil
}

func (k kind[T]) exists(t *tx, id string) (bool, error) {
	return t.exists(string(k.record), id)
}

// indexesOf returns a record's index entries (none for nil, a record not
// stored yet): what save replaces, taken before the record changes.
func (k kind[T]) indexesOf(v *T) []indexEntry {
	if k.indexes == nil || v == nil {
		return nil
	}
	return k.indexes(v)
}

// save stamps a record with this transaction and writes it — with the
// signed act that changed it, if any, under a key of its own, so that the
// record stays small whatever its history — updates its index entries from
// old (nil for a new record), and emits the act's event. It returns the
// record as stored, and with an act the record and the act: the act's
// answer.
func (k kind[T]) save(t *tx, event string, v *T, old []indexEntry, signed *schema.SignedAct) (string, error) {
	*k.updated(v) = t.stamp()
	id := k.id(v)
	log := k.log(v)
	*log = log.Stored()
	if signed != nil {
		log.ActCount++
		if _, err := t.put(signed, schema.ActObject, schema.ActAttributes(k.record, id, log.ActCount)...); err != nil {
			return "", err
		}
	}
	raw, err := t.put(v, string(k.record), id)
	if err != nil {
		return "", err
	}
	if err := t.reindex(old, k.indexesOf(v)); err != nil {
		return "", err
	}
	status := ""
	if k.status != nil {
		status = k.status(v)
	}
	if err := t.emit(event, k.record, id, status, raw); err != nil {
		return "", err
	}
	if signed == nil {
		return string(raw), nil
	}
	act, err := json.Marshal(signed)
	if err != nil {
		return "", fmt.Errorf("encode act: %w", err)
	}
	answer, err := schema.AnswerOf(raw, act)
	if err != nil {
		return "", err
	}
	return string(answer), nil
}

// index entries hold one byte: Fabric deletes a key written with an empty value.
var indexValue = []byte{1}

// An indexEntry lists a record under an attribute: its key is the index's
// name, the attribute's value and the record's id, last.
type indexEntry struct {
	name  string
	attrs []string
}

// indexName names the index of a kind of record by an attribute; listings
// filter by it.
func indexName(r schema.Record, by string) string { return string(r) + "~" + by }

func index(r schema.Record, by, value, id string) indexEntry {
	return indexEntry{name: indexName(r, by), attrs: []string{value, id}}
}

// reindex replaces a record's index entries: it deletes those no longer
// there and writes the new ones; an entry that stays is not touched.
func (t *tx) reindex(old, updated []indexEntry) error {
	for _, e := range old {
		if slices.ContainsFunc(updated, e.equal) {
			continue
		}
		k, err := t.key(e.name, e.attrs...)
		if err != nil {
			return err
		}
		if err := t.stub.DelState(k); err != nil {
			return fmt.Errorf("index %s: %w", e.name, err)
		}
	}
	for _, e := range updated {
		if slices.ContainsFunc(old, e.equal) {
			continue
		}
		k, err := t.key(e.name, e.attrs...)
		if err != nil {
			return err
		}
		if err := t.stub.PutState(k, indexValue); err != nil {
			return fmt.Errorf("index %s: %w", e.name, err)
		}
	}
	return nil
}

func (e indexEntry) equal(o indexEntry) bool {
	return e.name == o.name && slices.Equal(e.attrs, o.attrs)
}

// emit sets the transaction's chaincode event: the act, the record it
// changed and the hash of the record as stored.
func (t *tx) emit(act string, record schema.Record, id, status string, stored []byte) error {
	sum := sha256.Sum256(stored)
	payload, err := json.Marshal(schema.Event{
		Act: act, Record: string(record), ID: id, Status: status,
		RecordHash: "0x" + hex.EncodeToString(sum[:]), TxID: t.txID,
	})
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	if err := t.stub.SetEvent(act, payload); err != nil {
		return fmt.Errorf("set event: %w", err)
	}
	return nil
}
