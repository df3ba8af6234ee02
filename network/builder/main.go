// Command builder is the registry's external chaincode builder for chaincode
// as a service (CCaaS): the peer runs it to "build" a package that holds
// only where to dial the chaincode (connection.json). It is one static
// program installed under three names, bin/detect, bin/build and
// bin/release of the builder's directory (copies or links), and it acts as
// the name it was run by (the base name of os.Args[0]):
//
//	detect SOURCE METADATA   exit 0 iff METADATA/metadata.json has "type": "ccaas"
//	build SOURCE METADATA OUTPUT   copy SOURCE/connection.json (and SOURCE/META-INF) to OUTPUT
//	release BUILD RELEASE    copy BUILD/connection.json to RELEASE/chaincode/server/
//	                         (and BUILD/META-INF/statedb to RELEASE/statedb)
//
// Like Fabric's own ccaas builder, detect parses metadata.json as JSON and
// takes the type in any case ("CCaaS"); unlike it, build copies
// connection.json as it is (no templates filled from the environment).
// Errors go to standard error, with exit status 1. It needs no shell, so
// it runs in a FROM scratch peer image too.
//
// The native network (network/chaincode.go) builds it from this file, which
// it embeds, and `make images` builds it into the peer image.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	os.Exit(run(filepath.Base(os.Args[0]), os.Args[1:], os.Stderr))
}

// run acts as the command name with args, reports an error on stderr and
// returns the exit status.
func run(name string, args []string, stderr io.Writer) int {
	var err error
	switch name {
	case "detect":
		err = detect(args)
	case "build":
		err = build(args)
	case "release":
		err = release(args)
	default:
		err = fmt.Errorf("run as %q: install this program as bin/detect, bin/build and bin/release of an external builder", name)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// ccaasType is the metadata type this builder serves.
const ccaasType = "ccaas"

// detect SOURCE METADATA succeeds iff METADATA/metadata.json declares a
// CCaaS package.
func detect(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: detect SOURCE METADATA")
	}
	file := filepath.Join(args[1], "metadata.json")
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var metadata struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &metadata); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if !strings.EqualFold(metadata.Type, ccaasType) {
		return fmt.Errorf("%s: type %q is not %q: not a package for this builder", file, metadata.Type, ccaasType)
	}
	return nil
}

// build SOURCE METADATA OUTPUT copies the connection and, when present, the
// package's META-INF (state database indexes) to OUTPUT.
func build(args []string) error {
	if len(args) < 3 {
		return errors.New("usage: build SOURCE METADATA OUTPUT")
	}
	source, output := args[0], args[2]
	if err := copyFile(filepath.Join(source, "connection.json"), filepath.Join(output, "connection.json")); err != nil {
		return err
	}
	return copyTreeIfExists(filepath.Join(source, "META-INF"), filepath.Join(output, "META-INF"))
}

// release BUILD RELEASE puts the connection where the peer reads it,
// RELEASE/chaincode/server/connection.json, and state database indexes
// under RELEASE/statedb.
func release(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: release BUILD RELEASE")
	}
	built, rel := args[0], args[1]
	server := filepath.Join(rel, "chaincode", "server")
	if err := os.MkdirAll(server, 0o755); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(built, "connection.json"), filepath.Join(server, "connection.json")); err != nil {
		return err
	}
	return copyTreeIfExists(filepath.Join(built, "META-INF", "statedb"), filepath.Join(rel, "statedb"))
}

// copyFile copies a regular file's content and permissions, replacing dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", src)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// copyTreeIfExists copies the directory src (directories and regular
// files) to dst; a missing src copies nothing.
func copyTreeIfExists(src, dst string) error {
	if _, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(path, target)
		default:
			return fmt.Errorf("%s: neither a directory nor a regular file", path)
		}
	})
}
