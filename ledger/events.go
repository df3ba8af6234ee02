package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"

	"github.com/efa-marktplatz/registry/internal/atomicfile"
)

// ChaincodeEvent is an event set by a valid transaction.
type ChaincodeEvent struct {
	BlockNumber uint64
	TxIndex     uint32
	TxID        string
	Chaincode   string
	Name        string
	Payload     []byte
}

// Checkpoint returns the position just after this event.
func (e *ChaincodeEvent) Checkpoint() Checkpoint {
	return Checkpoint{BlockNumber: e.BlockNumber, TxIndex: e.TxIndex + 1}
}

// Blocks yields the committed blocks from number from onwards: first those
// already on the ledger, then each new one as it is committed. It ends with
// an error when ctx ends or the ledger closes, or when the caller stops.
func (l *Ledger) Blocks(ctx context.Context, from uint64) iter.Seq2[*Block, error] {
	return func(yield func(*Block, error) bool) {
		next := from
		for {
			height, grown := l.head()
			for ; next < height; next++ {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
				b, err := l.Block(next)
				if err != nil {
					yield(nil, err)
					return
				}
				if !yield(b, nil) {
					return
				}
			}
			select {
			case <-grown:
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			case <-l.closing:
				yield(nil, ErrClosed)
				return
			}
		}
	}
}

// ChaincodeEvents yields the events of valid transactions of one chaincode
// from the checkpoint onwards (replay of the past, then live). Pass the
// zero Checkpoint to start at the beginning of the chain.
func (l *Ledger) ChaincodeEvents(ctx context.Context, chaincode string, from Checkpoint) iter.Seq2[*ChaincodeEvent, error] {
	return func(yield func(*ChaincodeEvent, error) bool) {
		for b, err := range l.Blocks(ctx, from.BlockNumber) {
			if err != nil {
				yield(nil, err)
				return
			}
			for i, t := range b.Transactions {
				if b.Header.Number == from.BlockNumber && uint32(i) < from.TxIndex {
					continue
				}
				if !t.Valid() || t.Event == nil || t.Chaincode != chaincode {
					continue
				}
				ev := &ChaincodeEvent{
					BlockNumber: b.Header.Number,
					TxIndex:     uint32(i),
					TxID:        t.ID,
					Chaincode:   t.Chaincode,
					Name:        t.Event.Name,
					Payload:     t.Event.Payload,
				}
				if !yield(ev, nil) {
					return
				}
			}
		}
	}
}

// FileCheckpointer keeps a Checkpoint in a file, replaced atomically on every
// Save, so a listener that crashes resumes from the last saved position.
type FileCheckpointer struct {
	path string
}

// NewFileCheckpointer returns a checkpointer that stores its position at path.
func NewFileCheckpointer(path string) (*FileCheckpointer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("ledger: checkpoint directory: %w", err)
	}
	return &FileCheckpointer{path: path}, nil
}

// Load returns the saved checkpoint, or the zero Checkpoint if none was saved yet.
func (f *FileCheckpointer) Load() (Checkpoint, error) {
	raw, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Checkpoint{}, nil
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("ledger: read checkpoint: %w", err)
	}
	var cp Checkpoint
	if err := json.Unmarshal(raw, &cp); err != nil {
		return Checkpoint{}, fmt.Errorf("ledger: checkpoint %s: %w", f.path, err)
	}
	return cp, nil
}

// Save stores the checkpoint durably.
func (f *FileCheckpointer) Save(cp Checkpoint) error {
	raw, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("ledger: encode checkpoint: %w", err)
	}
	return atomicfile.Write(f.path, raw, 0o600)
}
