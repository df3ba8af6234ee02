package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/efa-marktplatz/registry/internal/atomicfile"
)

// FileCheckpointer keeps an event listener's Position in a file, replaced
// atomically on every Save, so that a listener resumes after a restart (of
// itself or of the ledger) where it stopped, seeing every event once.
type FileCheckpointer struct {
	path string
}

// NewFileCheckpointer returns a checkpointer that stores its position at path.
func NewFileCheckpointer(path string) (*FileCheckpointer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("client: checkpoint directory: %w", err)
	}
	return &FileCheckpointer{path: path}, nil
}

// Load returns the saved position, or the zero Position (the start of the
// chain) when none was saved.
func (f *FileCheckpointer) Load() (Position, error) {
	raw, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Position{}, nil
	}
	if err != nil {
		return Position{}, fmt.Errorf("client: read checkpoint: %w", err)
	}
	var p Position
	if err := json.Unmarshal(raw, &p); err != nil {
		return Position{}, fmt.Errorf("client: checkpoint %s: %w", f.path, err)
	}
	return p, nil
}

// Save stores a position durably.
func (f *FileCheckpointer) Save(p Position) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("client: encode checkpoint: %w", err)
	}
	return atomicfile.Write(f.path, raw, 0o600)
}
