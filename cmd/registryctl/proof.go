package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/efa-marktplatz/registry/network"
	"github.com/efa-marktplatz/registry/proof"
)

func proofCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "export":
		return proofExport(ctx, args[1:], out)
	case "roots":
		return proofRoots(args[1:], out)
	}
	return errors.New(usage)
}

// proofExport saves an agreement's proof bundle from the API, as served.
func proofExport(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("proof export", flag.ContinueOnError)
	target := apiFlag(fs)
	agreement := fs.String("agreement", "", "agreement id")
	file := fs.String("out", "", "bundle file (default AGREEMENT.proof.json)")
	from := fs.String("from", "", "embedded ledger: start the chain of block headers at this block (a checkpoint you pinned)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target.resolve(fs)
	if *agreement == "" {
		return errors.New("proof export: --agreement is required")
	}
	if *file == "" {
		*file = *agreement + ".proof.json"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.url+"/v1/agreements/"+url.PathEscape(*agreement)+"/proof"+query(*from), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("proof export: %w", target.unreachable(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("proof export: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("proof export: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	if _, err := proof.Read(bytes.NewReader(body)); err != nil {
		return fmt.Errorf("proof export: the API answered something else than a bundle: %w", err)
	}
	if err := os.WriteFile(*file, body, 0o644); err != nil {
		return fmt.Errorf("proof export: %w", err)
	}
	fmt.Fprintf(out, "%s: %d bytes\n", *file, len(body))
	return nil
}

func query(from string) string {
	if from == "" {
		return ""
	}
	return "?from=" + url.QueryEscape(from)
}

// proofRoots writes the root certificates of a registry's organisations as
// MSPID.pem files: what an auditor obtains from the members and pins.
func proofRoots(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("proof roots", flag.ContinueOnError)
	data := fs.String("data", "", "data directory of an embedded registry (registry-api --data)")
	netDir := fs.String("network", "", "directory of a native Fabric network (registryctl network up --dir)")
	dir := fs.String("out", "roots", "directory to write MSPID.pem files into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var trust *proof.Trust
	var err error
	switch {
	case *data != "" && *netDir == "":
		trust, err = proof.LoadRoots(filepath.Join(*data, "ledger", "msp"))
	case *netDir != "" && *data == "":
		var n *network.Network
		if n, err = network.New(network.Config{Dir: *netDir}); err == nil {
			trust, err = proof.FabricTrust(n.RootFiles(), n.GenesisBlock())
		}
	default:
		return errors.New("proof roots: give one of --data or --network")
	}
	if err != nil {
		return fmt.Errorf("proof roots: %w", err)
	}
	if err := trust.WriteDir(*dir); err != nil {
		return fmt.Errorf("proof roots: %w", err)
	}
	fmt.Fprintf(out, "root certificates of %d organisations in %s\n", len(trust.Roots), *dir)
	if trust.Genesis != nil {
		fmt.Fprintf(out, "genesis block %x in %s\n", trust.Genesis, filepath.Join(*dir, proof.GenesisFile))
	}
	return nil
}

// verifyCmd checks bundles offline against the roots the auditor pins.
func verifyCmd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	rootsDir := fs.String("roots", "roots", "directory of the root certificates you trust: MSPID.pem or MSPID/ca.pem")
	genesis := fs.String("genesis", "", "the genesis block's header hash (hex) you pin; default: genesis.sha256 in --roots (required for Fabric bundles)")
	checkpoint := fs.String("checkpoint", "", "embedded ledger: a block you trust, NUMBER:HEADERHASH (hex); the bundle's chain must pass through it")
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	wide := fs.Bool("wide", false, "print one line per check, with ids and hashes in full (lines run wide); by default lines fit 100 columns")
	quiet := fs.Bool("q", false, "print one line per bundle, not every check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("verify: name one or more bundle files")
	}
	trust, err := proof.LoadRoots(*rootsDir)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if *genesis != "" {
		h, err := hex.DecodeString(*genesis)
		if err != nil || len(h) != 32 {
			return errors.New("verify: --genesis must be 64 hex digits")
		}
		trust.Genesis = h
	}
	if *checkpoint != "" {
		num, hash, ok := strings.Cut(*checkpoint, ":")
		n, err1 := strconv.ParseUint(num, 10, 64)
		h, err2 := hex.DecodeString(hash)
		if !ok || err1 != nil || err2 != nil || len(h) != 32 {
			return errors.New("verify: --checkpoint must be NUMBER:HEADERHASH, the hash 64 hex digits")
		}
		trust.Checkpoint = &proof.Checkpoint{Number: n, Hash: h}
	}

	began := time.Now()
	failed := 0
	var first error
	for _, path := range fs.Args() {
		b, err := proof.ReadFile(path)
		var report *proof.Report
		if err != nil {
			report = &proof.Report{}
			report.Add("bundle", path, err)
		} else {
			report, _ = proof.Verify(b, trust)
		}
		if !report.OK {
			failed++
			if first == nil && report.FirstFailure != nil {
				first = fmt.Errorf("%s: first broken link: %s of %s: %s", path, report.FirstFailure.Check, report.FirstFailure.Subject, report.FirstFailure.Detail)
			}
		}
		if err := printReport(out, path, report, reportFormat{json: *asJSON, quiet: *quiet, wide: *wide}); err != nil {
			return err
		}
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(out, "%d bundles, %d verified, %d failed, in %s\n", fs.NArg(), fs.NArg()-failed, failed, time.Since(began).Round(time.Millisecond))
	}
	if failed > 0 {
		if first == nil {
			first = errors.New("verification failed")
		}
		return fmt.Errorf("verify: %w", first)
	}
	return nil
}

// reportFormat is how verify prints a report.
type reportFormat struct {
	json, quiet, wide bool
}

// reportWidth is the width the default report fits.
const reportWidth = 100

func printReport(out io.Writer, path string, r *proof.Report, f reportFormat) error {
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	verdict := "VERIFIED"
	if !r.OK {
		verdict = "FAILED"
	}
	if f.quiet {
		_, err := fmt.Fprintf(out, "%s %s (agreement %s, %s, %d checks)\n", verdict, path, r.Agreement, r.Backend, len(r.Items))
		return err
	}
	mark := func(it proof.Item) string {
		if it.OK {
			return "ok"
		}
		return "FAIL"
	}
	if f.wide {
		w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		for _, it := range r.Items {
			fmt.Fprintf(w, "%-4s\t%s\t%s\t%s\n", mark(it), it.Check, it.Subject, it.Detail)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	} else {
		// The check, then what it checked and what it found, wrapped at
		// reportWidth; ids and hashes shortened (--wide has them in full).
		for _, it := range r.Items {
			head := wrap(fmt.Sprintf("%-4s  ", mark(it)), string(it.Check)+": "+shorten(it.Subject), reportWidth, "        ")
			if _, err := io.WriteString(out, head); err != nil {
				return err
			}
			if it.Detail != "" {
				if _, err := io.WriteString(out, wrap("      ", shorten(it.Detail), reportWidth, "      ")); err != nil {
					return err
				}
			}
		}
	}
	summary := fmt.Sprintf("%s: %s — agreement %s on the %s ledger, %d checks", path, verdict, r.Agreement, r.Backend, len(r.Items))
	if f := r.FirstFailure; f != nil {
		summary += fmt.Sprintf("\nfirst broken link: %s of %s: %s", f.Check, f.Subject, f.Detail)
	}
	if f.wide {
		_, err := fmt.Fprintln(out, summary)
		return err
	}
	for _, line := range strings.Split(summary, "\n") {
		if _, err := io.WriteString(out, wrap("", line, reportWidth, "  ")); err != nil {
			return err
		}
	}
	return nil
}

// longHex is a transaction id or a 32-byte hash, with or without 0x.
var longHex = regexp.MustCompile(`\b(0x)?([0-9a-fA-F]{12})[0-9a-fA-F]{52}\b`)

// shorten abbreviates transaction ids and hashes to their first 12 hex
// digits and an ellipsis.
func shorten(s string) string { return longHex.ReplaceAllString(s, "$1$2…") }

// wrap breaks prefix and text into lines of at most width characters,
// at the spaces of text, each line after the first starting with indent; a
// word longer than a line is cut. Every line ends with a newline.
func wrap(prefix, text string, width int, indent string) string {
	var lines []string
	cur, curLen, empty := prefix, utf8.RuneCountInString(prefix), true
	newLine := func() {
		lines = append(lines, cur)
		cur, curLen, empty = indent, utf8.RuneCountInString(indent), true
	}
	for _, word := range strings.Fields(text) {
		for word != "" {
			n, sep := utf8.RuneCountInString(word), 1
			if empty {
				sep = 0
			}
			switch {
			case curLen+sep+n <= width:
				if !empty {
					cur += " "
				}
				cur, curLen, empty, word = cur+word, curLen+sep+n, false, ""
			case !empty:
				newLine()
			default: // alone on its line and still too long: cut it
				room, cut := max(width-curLen, 1), len(word)
				for i := range word {
					if utf8.RuneCountInString(word[:i]) == room {
						cut = i
						break
					}
				}
				cur, word = cur+word[:cut], word[cut:]
				newLine()
			}
		}
	}
	lines = append(lines, cur)
	return strings.Join(lines, "\n") + "\n"
}
