package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/internal/atomicfile"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
)

func keysNew(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("keys new", flag.ContinueOnError)
	path := fs.String("out", "", "file to write the private key to (hex, mode 0600)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("keys new: --out is required")
	}
	if _, err := os.Stat(*path); err == nil {
		return fmt.Errorf("keys new: %s exists; not overwriting a key", *path)
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*path, []byte(hex.EncodeToString(crypto.FromECDSA(key))+"\n"), 0o600); err != nil {
		return err
	}
	fmt.Fprintln(out, crypto.PubkeyToAddress(key.PublicKey).Hex())
	return nil
}

func loadKey(path string) (*ecdsa.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key: %w", err)
	}
	key, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(string(raw)), "0x"))
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return key, nil
}

// prepare decodes an act's message, filling in a fresh nonce and a deadline
// an hour ahead when they are left out, and validates it as the chaincode does.
func prepare(act, message string) (schema.Message, error) {
	var fields map[string]any
	if err := json.Unmarshal([]byte(message), &fields); err != nil {
		return nil, fmt.Errorf("--message must be a JSON object: %w", err)
	}
	if n, ok := fields["nonce"]; !ok || n == "" {
		r, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
		if err != nil {
			return nil, err
		}
		fields["nonce"] = r.String()
	}
	if d, ok := fields["deadline"]; !ok || d == "" || d == "0" {
		fields["deadline"] = fmt.Sprint(time.Now().Add(time.Hour).Unix())
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	m, err := schema.NewMessage(act)
	if err != nil {
		return nil, fmt.Errorf("--type: %w (one of %s)", err, strings.Join(schema.ActTypes, ", "))
	}
	if err := schema.DecodeMessage(string(raw), m); err != nil {
		return nil, err
	}
	return m, nil
}

func signCmd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	keyFile := fs.String("key", "", "private key file (keys new)")
	actType := fs.String("type", "", "act, i.e. EIP-712 primary type: "+strings.Join(schema.ActTypes, ", "))
	message := fs.String("message", "", "the act's message as JSON")
	channel := fs.String("channel", "registry", "channel, the EIP-712 domain's salt")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key, err := loadKey(*keyFile)
	if err != nil {
		return err
	}
	m, err := prepare(*actType, *message)
	if err != nil {
		return err
	}
	act, err := schema.SignAct(*channel, m, key)
	if err != nil {
		return err
	}
	body, err := act.Request()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(body)
}

// actCmd fetches the signing material of the API, signs and posts an act.
func actCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("act", flag.ContinueOnError)
	keyFile := fs.String("key", "", "private key file of the acting party")
	actType := fs.String("type", "", "act: "+strings.Join(schema.ActTypes, ", "))
	message := fs.String("message", "", "the act's message as JSON")
	target := apiFlag(fs)
	token := fs.String("token", "", "member token, for AddKey/RevokeKey on the member's authority (then --key is the new key, for AddKey)")
	channel := fs.String("channel", "registry", "channel, the EIP-712 domain's salt (checked against the API's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target.resolve(fs)
	key, err := loadKey(*keyFile)
	if err != nil {
		return err
	}
	var info schema.EIP712
	if err := fetchJSON(ctx, target, "/v1/eip712", &info); err != nil {
		return err
	}
	endpoint, ok := info.Endpoints[*actType]
	if !ok {
		return fmt.Errorf("--type %q: the API has no such act", *actType)
	}
	m, err := prepare(*actType, *message)
	if err != nil {
		return err
	}
	if salt := info.Domain["salt"]; schema.Salt(*channel) != salt {
		return fmt.Errorf("the API's domain salt %s is not that of channel %q (--channel)", salt, *channel)
	}
	act, err := schema.SignAct(*channel, m, key)
	if err != nil {
		return err
	}
	if *token != "" { // on the member's authority: the signature is the new key's proof
		pop := ""
		if *actType == schema.TypeAddKey {
			pop = act.Signature
		}
		if act, err = schema.NewAct(m, "", pop); err != nil {
			return err
		}
	}
	body, err := act.Request()
	if err != nil {
		return err
	}
	path := endpoint.Path
	if endpoint.PathField != "" {
		id, _, err := act.Field(endpoint.PathField)
		if err != nil {
			return err
		}
		path = strings.Replace(path, "{id}", fmt.Sprint(id), 1)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, endpoint.Method, target.url+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return target.unreachable(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, answer, "", "  ") == nil {
		answer = pretty.Bytes()
	}
	fmt.Fprintf(out, "%s %s → %d\n%s\n", endpoint.Method, path, resp.StatusCode, answer)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("the act was refused (%d)", resp.StatusCode)
	}
	return nil
}

// fetchJSON reads a path of the API as JSON.
func fetchJSON(ctx context.Context, target *apiTarget, path string, out any) error {
	url := target.url + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return target.unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	return nil
}
