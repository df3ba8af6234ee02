package readmodel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/efa-marktplatz/registry/schema"
)

// Verify checks the read model against itself: every record whose event
// carried its hash still hashes to it as mirrored, and every record's read
// form is what its mirrored value and acts make. A record changed in the
// database behind the projection's back fails with ErrMismatch naming it.
func (s *Store) Verify(ctx context.Context) error {
	q, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("readmodel: verify: %w", err)
	}
	defer func() { _ = q.Rollback() }()
	rows, err := q.QueryContext(ctx, `SELECT r.kind, r.id, r.body, c.stored_hash FROM records r LEFT JOIN checked c ON c.kind = r.kind AND c.id = r.id`)
	if err != nil {
		return fmt.Errorf("readmodel: verify: %w", err)
	}
	type row struct {
		ref  schema.Ref
		body []byte
		hash sql.NullString
	}
	var all []row
	for rows.Next() {
		var r row
		var kind string
		if err := rows.Scan(&kind, &r.ref.ID, &r.body, &r.hash); err != nil {
			return errors.Join(fmt.Errorf("readmodel: verify: %w", err), rows.Close())
		}
		r.ref.Record = schema.Record(kind)
		all = append(all, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("readmodel: verify: %w", err)
	}
	for _, r := range all {
		var stored []byte
		if err := q.QueryRowContext(ctx, `SELECT value FROM state WHERE key = ?`, r.ref.Key()).Scan(&stored); err != nil {
			return fmt.Errorf("%w: %s %s: its stored value: %v", ErrMismatch, r.ref.Record, r.ref.ID, err)
		}
		if r.hash.Valid {
			sum := sha256.Sum256(stored)
			if got := "0x" + hex.EncodeToString(sum[:]); got != r.hash.String {
				return fmt.Errorf("%w: %s %s hashes to %s, its event said %s", ErrMismatch, r.ref.Record, r.ref.ID, got, r.hash.String)
			}
		}
		acts, err := actsOf(ctx, q, r.ref)
		if err != nil {
			return fmt.Errorf("readmodel: verify: %w", err)
		}
		want, err := schema.ReadOf(stored, acts)
		if err != nil {
			return fmt.Errorf("readmodel: verify %s %s: %w", r.ref.Record, r.ref.ID, err)
		}
		if !bytes.Equal(want, r.body) {
			return fmt.Errorf("%w: %s %s: the read form differs from its stored value and acts", ErrMismatch, r.ref.Record, r.ref.ID)
		}
	}
	return nil
}
