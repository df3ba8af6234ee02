package proof

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// GenesisFile, in a roots directory, pins the genesis block: its header hash in hex.
const GenesisFile = "genesis.sha256"

// caFile is the root certificate file in an MSPID directory (the embedded
// ledger's msp directory has that layout).
const caFile = "ca.pem"

// rootsFile tells what a file of a roots directory is, by its name relative
// to the directory (slash-separated): the root certificates of an MSP
// (MSPID.pem or MSPID/ca.pem, msp set), the pinned genesis block
// (GenesisFile, genesis set), or neither.
func rootsFile(name string) (msp string, genesis bool) {
	if name == GenesisFile {
		return "", true
	}
	if dir, file, ok := strings.Cut(name, "/"); ok {
		if file == caFile && dir != "" {
			return dir, false
		}
		return "", false
	}
	if msp, ok := strings.CutSuffix(name, ".pem"); ok && msp != "" {
		return msp, false
	}
	return "", false
}

// ParseRoots builds the trust an auditor pins from the files of a roots
// directory, by their names relative to it, slash-separated:
//
//   - MSPID.pem or MSPID/ca.pem: PEM root certificates of the organisation
//     MSPID (both may be given; their certificates add up);
//   - genesis.sha256 (GenesisFile), optional: the genesis block's header
//     hash in hex, which Trust.Genesis pins.
//
// Other names are ignored. At least one organisation's roots are required.
// Errors name the file.
func ParseRoots(files map[string][]byte) (*Trust, error) {
	t := &Trust{}
	var ignored []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		data := files[name]
		switch msp, genesis := rootsFile(name); {
		case genesis:
			h, err := hex.DecodeString(strings.TrimSpace(string(data)))
			if err != nil || len(h) != sha256.Size {
				return nil, fmt.Errorf("roots: %s must hold the genesis block's header hash in hex", name)
			}
			t.Genesis = h
		case msp != "":
			if err := t.AddRootsPEM(msp, data); err != nil {
				return nil, fmt.Errorf("roots: %s: %w", name, err)
			}
		default:
			ignored = append(ignored, name)
		}
	}
	if len(t.Roots) == 0 {
		msg := "roots: no MSPID.pem or MSPID/" + caFile
		if len(ignored) > 0 {
			msg += " (ignored: " + strings.Join(ignored, ", ") + ")"
		}
		return nil, errors.New(msg)
	}
	return t, nil
}

// LoadRoots reads the root certificates an auditor pins from a directory, as
// ParseRoots parses them: MSPID.pem files, or MSPID/ca.pem (the embedded
// ledger's msp directory has that layout), and genesis.sha256 if present.
func LoadRoots(dir string) (*Trust, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("roots: %w", err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			name += "/" + caFile
		}
		if msp, genesis := rootsFile(name); msp == "" && !genesis {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		switch {
		case e.IsDir() && errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return nil, fmt.Errorf("roots: %w", err)
		}
		files[name] = data
	}
	t, err := ParseRoots(files)
	if err != nil {
		return nil, fmt.Errorf("%w (directory %s)", err, dir)
	}
	return t, nil
}

// WriteDir writes the trust as LoadRoots reads it: MSPID.pem files, and the
// genesis block's header hash (if pinned) as genesis.sha256.
func (t *Trust) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if t.Genesis != nil {
		if err := os.WriteFile(filepath.Join(dir, GenesisFile), []byte(hex.EncodeToString(t.Genesis)+"\n"), 0o644); err != nil {
			return err
		}
	}
	for msp, certs := range t.Roots {
		var out []byte
		for _, c := range certs {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		if err := os.WriteFile(filepath.Join(dir, msp+".pem"), out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
