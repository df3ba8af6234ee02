package client

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/efa-marktplatz/registry/schema"
)

// Act submits a signed act (schema.DecodeAct, schema.SignAct) under the
// function its authority calls for. The result's payload is the record the
// act changed, as the act stored it, with the act as "act" where the record
// logs it (schema.Act.Logged, schema.AnswerOf). An act on the member's authority must go through a client of
// the member org's admin identity.
//
// Acts are idempotent: an act sent again — the same signer, nonce and
// signed message, after an answer was lost, say — is not refused as a
// reused nonce but answered with the original transaction (Result.Replayed).
// A different message under a used nonce stays a conflict.
func (c *Client) Act(ctx context.Context, act *schema.Act) (*Result, error) {
	args, err := act.Args()
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	r, err := c.Submit(ctx, act.Function(), args...)
	var re *schema.Error
	if err == nil || !errors.As(err, &re) || re.Code != schema.CodeConflict || re.Field != "message.nonce" {
		return r, err
	}
	original, rerr := c.original(ctx, act)
	if rerr != nil {
		return nil, errors.Join(err, fmt.Errorf("client: looking for the act's first commit: %w", rerr))
	}
	if original == nil {
		return nil, err // another message under the nonce
	}
	return original, nil
}

// original returns the result of the act's earlier commit, if the registry
// holds the same signer's receipt for the nonce with the same digest; nil
// when the nonce was spent on another message.
func (c *Client) original(ctx context.Context, act *schema.Act) (*Result, error) {
	signer, err := act.Signer(c.b.Channel())
	if err != nil {
		return nil, err
	}
	receipt, err := query[schema.Receipt](ctx, c, schema.FnGetReceipt, signer.Hex(), schema.ReplayOf(act.Message).Nonce)
	if err != nil {
		return nil, err
	}
	digest, err := act.Digest(c.b.Channel())
	if err != nil {
		return nil, err
	}
	if receipt.Digest != "0x"+hex.EncodeToString(digest) {
		return nil, nil
	}
	block, err := c.b.TxBlock(ctx, receipt.TxID)
	if err != nil {
		return nil, err
	}
	if m, ok := act.Message.(*schema.AdjustFeesMessage); ok {
		return c.originalAdjustment(ctx, m, receipt.TxID, block)
	}
	ref := act.Record()
	entries, err := c.History(ctx, ref)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(entries, func(e schema.HistoryEntry) bool { return e.TxID == receipt.TxID })
	if i < 0 {
		return nil, fmt.Errorf("transaction %s of the receipt wrote no %s %s", receipt.TxID, ref.Record, ref)
	}
	stored := entries[i].Value
	if !act.Logged() { // its answer was the record as stored
		return &Result{TxID: receipt.TxID, BlockNumber: block, Payload: stored, Replayed: true}, nil
	}
	// The act is the last one the record counted as its transaction wrote it.
	var log schema.ActLog
	if err := json.Unmarshal(stored, &log); err != nil {
		return nil, fmt.Errorf("client: decode %s %s: %w", ref.Record, ref, err)
	}
	raw, err := c.LoggedAct(ctx, ref, log.ActCount)
	if err != nil {
		return nil, err
	}
	var logged schema.SignedAct
	if err := json.Unmarshal(raw, &logged); err != nil {
		return nil, fmt.Errorf("client: act %d on %s %s: %w", log.ActCount, ref.Record, ref, err)
	}
	if logged.TxID != receipt.TxID {
		return nil, fmt.Errorf("client: act %d on %s %s is of transaction %s, not of the receipt's %s", log.ActCount, ref.Record, ref, logged.TxID, receipt.TxID)
	}
	answer, err := schema.AnswerOf(stored, raw)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return &Result{TxID: receipt.TxID, BlockNumber: block, Payload: answer, Replayed: true}, nil
}

// originalAdjustment rebuilds the answer of a fee adjustment a transaction
// committed: the fee versions it entered, one per agreement it names.
func (c *Client) originalAdjustment(ctx context.Context, m *schema.AdjustFeesMessage, txID string, block uint64) (*Result, error) {
	out := schema.FeeAdjustment{Offering: m.Offering, Year: m.Year, AllocationVersion: m.AllocationVersion}
	for _, id := range m.Agreements {
		entries, err := c.History(ctx, schema.AgreementRef(id))
		if err != nil {
			return nil, err
		}
		i := slices.IndexFunc(entries, func(e schema.HistoryEntry) bool { return e.TxID == txID })
		if i < 0 {
			return nil, fmt.Errorf("client: transaction %s of the receipt wrote no agreement %s", txID, id)
		}
		var a schema.Agreement
		if err := json.Unmarshal(entries[i].Value, &a); err != nil {
			return nil, fmt.Errorf("client: decode agreement %s: %w", id, err)
		}
		fv, err := c.FeeVersion(ctx, id, a.FeeVersion)
		if err != nil {
			return nil, err
		}
		out.FeeVersions = append(out.FeeVersions, *fv)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("client: encode adjustment: %w", err)
	}
	return &Result{TxID: txID, BlockNumber: block, Payload: raw, Replayed: true}, nil
}

// RegisterParty registers a party the member org vouches for (an admin
// identity's client). The result's payload is the party.
func (c *Client) RegisterParty(ctx context.Context, reg schema.PartyRegistration) (*Result, error) {
	reg.Normalize()
	raw, err := json.Marshal(reg)
	if err != nil {
		return nil, fmt.Errorf("client: encode registration: %w", err)
	}
	return c.Submit(ctx, schema.FnRegisterParty, string(raw))
}

// SetInHouse replaces the Anbieter a party may order from (§108 GWB; an
// admin identity's client of the vouching member org). A list equal to the
// party's writes no transaction: the result is the party's last change
// (Result.Unchanged).
func (c *Client) SetInHouse(ctx context.Context, party string, anbieter []string) (*Result, error) {
	if anbieter == nil {
		anbieter = []string{}
	}
	raw, err := c.Record(ctx, schema.PartyRef(party))
	if err != nil {
		return nil, err
	}
	var p schema.Party
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("client: decode party %s: %w", party, err)
	}
	if slices.Equal(p.InHouse, anbieter) {
		block, err := c.b.TxBlock(ctx, p.Updated.TxID)
		if err != nil {
			return nil, err
		}
		return &Result{TxID: p.Updated.TxID, BlockNumber: block, Payload: raw, Unchanged: true}, nil
	}
	list, err := json.Marshal(anbieter)
	if err != nil {
		return nil, fmt.Errorf("client: encode in-house relationships: %w", err)
	}
	return c.Submit(ctx, schema.FnSetInHouseRelationships, party, string(list))
}
