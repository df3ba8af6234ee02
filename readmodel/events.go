package readmodel

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/schema"
)

// Event is one committed act as the feed delivers it. Its ID is its
// position on the ledger, "block-txIndex": the SSE event id and the
// webhooks' de-duplication key, the same on every restart and rebuild.
type Event struct {
	ID          string      `json:"id"`
	Act         string      `json:"act"`
	Record      string      `json:"record"`
	RecordID    string      `json:"recordId"`
	Status      string      `json:"status,omitempty"`
	RecordHash  string      `json:"recordHash"`
	TxID        string      `json:"txId"`
	BlockNumber schema.Uint `json:"blockNumber"`
	TxIndex     uint32      `json:"txIndex"`
	Timestamp   string      `json:"timestamp"` // RFC 3339, the transaction's
	Parties     []string    `json:"parties"`   // the parties the record names
	seq         int64
}

// Position is a place in the feed: the event at block Block, transaction
// Tx; the zero Position is before the first event.
type Position struct {
	Block uint64
	Tx    uint32
}

// String is the position as an event id.
func (p Position) String() string { return fmt.Sprintf("%d-%d", p.Block, p.Tx) }

// ParsePosition reads an event id.
func ParsePosition(s string) (Position, error) {
	b, t, ok := strings.Cut(s, "-")
	block, err1 := strconv.ParseUint(b, 10, 64)
	tx, err2 := strconv.ParseUint(t, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return Position{}, fmt.Errorf("readmodel: %q is not an event id (block-txIndex)", s)
	}
	return Position{Block: block, Tx: uint32(tx)}, nil
}

// Position returns where the event is.
func (e *Event) Position() Position { return Position{Block: uint64(e.BlockNumber), Tx: e.TxIndex} }

// Seq is the event's sequence number in the read model: how far it is
// from the first (it counts events, not blocks).
func (e *Event) Seq() int64 { return e.seq }

// EventFilter selects events; empty fields select all.
type EventFilter struct {
	Record string   // record kind
	ID     string   // record id
	Party  string   // a party the record names
	Acts   []string // act types
}

// Matches reports whether an event passes the filter.
func (f EventFilter) Matches(e *Event) bool {
	return (f.Record == "" || f.Record == e.Record) && (f.ID == "" || f.ID == e.RecordID) &&
		(f.Party == "" || slices.Contains(e.Parties, f.Party)) && (len(f.Acts) == 0 || slices.Contains(f.Acts, e.Act))
}

// Events returns up to limit events after the position that pass the
// filter, in ledger order.
func (s *Store) Events(ctx context.Context, after Position, f EventFilter, limit int) ([]*Event, error) {
	q := `SELECT e.seq, e.block, e.tx, e.txid, e.act, e.record, e.rid, e.status, e.hash, e.time,
		(SELECT group_concat(party, ' ') FROM event_parties p WHERE p.seq = e.seq) FROM events e WHERE (e.block, e.tx) > (?, ?)`
	args := []any{after.Block, after.Tx}
	if f.Record != "" {
		q, args = q+" AND e.record = ?", append(args, f.Record)
	}
	if f.ID != "" {
		q, args = q+" AND e.rid = ?", append(args, f.ID)
	}
	if f.Party != "" {
		q, args = q+" AND e.seq IN (SELECT seq FROM event_parties WHERE party = ?)", append(args, f.Party)
	}
	if len(f.Acts) > 0 {
		q += " AND e.act IN (?" + strings.Repeat(", ?", len(f.Acts)-1) + ")"
		for _, a := range f.Acts {
			args = append(args, a)
		}
	}
	q, args = q+" ORDER BY e.block, e.tx LIMIT ?", append(args, limit)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("readmodel: events: %w", err)
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		e := &Event{}
		var parties sql.NullString
		if err := rows.Scan(&e.seq, &e.BlockNumber, &e.TxIndex, &e.TxID, &e.Act, &e.Record, &e.RecordID, &e.Status, &e.RecordHash, &e.Timestamp, &parties); err != nil {
			return nil, fmt.Errorf("readmodel: events: %w", err)
		}
		e.ID = e.Position().String()
		e.Parties = strings.Fields(parties.String)
		if e.Parties == nil {
			e.Parties = []string{}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("readmodel: events: %w", err)
	}
	return out, nil
}

// LastEvent is the position of the newest projected event (zero: none).
func (s *Store) LastEvent(ctx context.Context) (Position, error) {
	var p Position
	err := s.db.QueryRowContext(ctx, `SELECT block, tx FROM events ORDER BY seq DESC LIMIT 1`).Scan(&p.Block, &p.Tx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Position{}, fmt.Errorf("readmodel: last event: %w", err)
	}
	return p, nil
}

// SeqAt returns the sequence number of the last event at or before a
// position (0 before the first).
func (s *Store) SeqAt(ctx context.Context, p Position) (int64, error) {
	var seq sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(seq) FROM events WHERE (block, tx) <= (?, ?)`, p.Block, p.Tx).Scan(&seq); err != nil {
		return 0, fmt.Errorf("readmodel: events: %w", err)
	}
	return seq.Int64, nil
}

// partyFields are the members of a record that name the parties it
// concerns.
var partyFields = []string{"customer", "supplier", "anbieter"}

// addEvent stores a transaction's event with the parties its record
// names, and returns its sequence number.
func (s *Store) addEvent(ctx context.Context, q *wtx, block uint64, t *client.TxChanges, ev *schema.Event) (int64, error) {
	res, err := q.ExecContext(ctx, `INSERT INTO events(block, tx, txid, act, record, rid, status, hash, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		block, t.Index, t.ID, ev.Act, ev.Record, ev.ID, ev.Status, ev.RecordHash, t.Timestamp.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return 0, err
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	parties, err := s.partiesOf(ctx, q, ev, t)
	if err != nil {
		return 0, err
	}
	for _, p := range parties {
		if _, err := q.ExecContext(ctx, `INSERT OR IGNORE INTO event_parties(party, seq) VALUES (?, ?)`, p, seq); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

// partiesOf names the parties of the event's record: the party itself,
// or the customer, supplier and Anbieter it names, or those of its
// offering or agreement.
func (s *Store) partiesOf(ctx context.Context, q *wtx, ev *schema.Event, t *client.TxChanges) ([]string, error) {
	if ev.Record == string(schema.RecordParty) {
		return []string{ev.ID}, nil
	}
	var value []byte
	if ref, err := schema.ParseRef("id", schema.Record(ev.Record), ev.ID); err == nil {
		for _, w := range t.Writes {
			if w.Key == ref.Key() {
				value = w.Value
			}
		}
	}
	fields := map[string]json.RawMessage{}
	if len(value) > 0 {
		if err := json.Unmarshal(value, &fields); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", ev.Record, ev.ID, err)
		}
	}
	var parties []string
	for _, f := range partyFields {
		var p string
		if raw, ok := fields[f]; ok && json.Unmarshal(raw, &p) == nil && p != "" && !slices.Contains(parties, p) {
			parties = append(parties, p)
		}
	}
	if len(parties) > 0 {
		return parties, nil
	}
	// A version or settlement record: the parties of its offering or agreement.
	parent, table := ev.ID, "offerings"
	if i := strings.IndexByte(parent, '/'); i >= 0 {
		parent = parent[:i]
	}
	if ev.Record == string(schema.RecordFeeVersion) {
		table = "agreements"
	}
	cols := "supplier, anbieter, '' "
	if table == "agreements" {
		cols = "supplier, anbieter, customer"
	}
	var a, b, c string
	err := q.QueryRowContext(ctx, "SELECT "+cols+" FROM "+table+" WHERE id = ?", parent).Scan(&a, &b, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return []string{}, nil
	}
	if err != nil {
		return nil, err
	}
	for _, p := range []string{a, b, c} {
		if p != "" && !slices.Contains(parties, p) {
			parties = append(parties, p)
		}
	}
	return parties, nil
}
