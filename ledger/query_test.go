package ledger_test

import (
	"fmt"
	"testing"

	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/ledger/ledgertest"
	"github.com/stretchr/testify/require"
)

func keys(entries []ledgertest.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Key
	}
	return out
}

func TestRangeQueries(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		c.mustSubmit("Put", k, "v"+k)
	}
	c.mustSubmit("PutComposite", "offering", jsonArg(t, []string{"Bauen", "o1"}), "x")

	tests := []struct {
		start, end string
		want       []string
	}{
		{"", "", []string{"a", "b", "c", "d", "e"}}, // composite keys are not simple-key range results
		{"b", "d", []string{"b", "c"}},              // end is exclusive
		{"c", "", []string{"c", "d", "e"}},          // empty end: to the end of the namespace
		{"bb", "cc", []string{"c"}},
		{"x", "z", []string{}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("[%q,%q)", tc.start, tc.end), func(t *testing.T) {
			var got []ledgertest.Entry
			c.query(&got, "Range", tc.start, tc.end)
			require.Equal(t, tc.want, keys(got))
		})
	}
	var got []ledgertest.Entry
	c.query(&got, "Range", "a", "b")
	require.Equal(t, []ledgertest.Entry{{Key: "a", Value: "va"}}, got)
}

func TestRangeQueryLimit(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{TotalQueryLimit: 3})
	c := newClient(t, l)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		c.mustSubmit("Put", k, "v")
	}
	var got []ledgertest.Entry
	c.query(&got, "Range", "", "")
	require.Equal(t, []string{"a", "b", "c"}, keys(got), "capped at TotalQueryLimit like a Fabric peer")

	var page ledgertest.Page
	c.query(&page, "RangePage", "", "", "0", "")
	require.Equal(t, []string{"a", "b", "c"}, keys(page.Entries), "page size 0 means the total query limit")
	require.Equal(t, "d", page.Bookmark)
}

func TestPaginationLikeFabricLevelDB(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	var all []string
	for i := range 7 {
		k := fmt.Sprintf("k%d", i)
		all = append(all, k)
		c.mustSubmit("Put", k, "v")
	}

	t.Run("walk all pages", func(t *testing.T) {
		var seen []string
		var fetched []int32
		bookmark := ""
		for {
			var p ledgertest.Page
			c.query(&p, "RangePage", "", "", "3", bookmark)
			seen = append(seen, keys(p.Entries)...)
			fetched = append(fetched, p.Fetched)
			if p.Bookmark == "" {
				break
			}
			require.Equal(t, fmt.Sprintf("k%d", len(seen)), p.Bookmark, "the bookmark is the first key of the next page")
			bookmark = p.Bookmark
		}
		require.Equal(t, all, seen)
		require.Equal(t, []int32{3, 3, 1}, fetched)
	})
	t.Run("a last page that ends exactly at the range end has an empty bookmark", func(t *testing.T) {
		var p ledgertest.Page
		c.query(&p, "RangePage", "k4", "", "3", "")
		require.Equal(t, []string{"k4", "k5", "k6"}, keys(p.Entries))
		require.Equal(t, "", p.Bookmark)
	})
	t.Run("end key bounds the page", func(t *testing.T) {
		var p ledgertest.Page
		c.query(&p, "RangePage", "k1", "k3", "5", "")
		require.Equal(t, []string{"k1", "k2"}, keys(p.Entries))
		require.Equal(t, "", p.Bookmark)
	})
	t.Run("a bookmark is the new start, unchecked, as on a Fabric peer", func(t *testing.T) {
		var p ledgertest.Page
		c.query(&p, "RangePage", "k2", "k5", "2", "k9")
		require.Empty(t, p.Entries, "a bookmark past the end yields nothing")
		require.Equal(t, "", p.Bookmark)
		c.query(&p, "RangePage", "k2", "k5", "2", "k0")
		require.Equal(t, []string{"k0", "k1"}, keys(p.Entries), "a bookmark before the start reads from there")
	})
}

func TestCompositeKeys(t *testing.T) {
	l := openKV(t, t.TempDir(), ledger.Options{})
	c := newClient(t, l)
	rows := [][]string{
		{"Bauen & Wohnen", "supplier-1", "o1"},
		{"Bauen & Wohnen", "supplier-2", "o2"},
		{"Bauen & Wohnen", "supplier-2", "o3"},
		{"Mobilität & Reisen", "supplier-1", "o4"},
	}
	var created []string
	for _, r := range rows {
		commit := c.mustSubmit("PutComposite", "offering~themenfeld", jsonArg(t, r), r[2])
		created = append(created, string(commit.Payload))
	}
	c.mustSubmit("PutComposite", "agreement", jsonArg(t, []string{"a1"}), "x")
	c.mustSubmit("Put", "plain", "x")

	var parts []string
	c.query(&parts, "SplitKey", created[0])
	require.Equal(t, []string{"offering~themenfeld", "Bauen & Wohnen", "supplier-1", "o1"}, parts)
	_, err := c.evaluate("SplitKey", "not composite")
	require.Error(t, err)

	tests := []struct {
		attrs []string
		want  []string
	}{
		{[]string{}, []string{"o1", "o2", "o3", "o4"}},
		{[]string{"Bauen & Wohnen"}, []string{"o1", "o2", "o3"}},
		{[]string{"Bauen & Wohnen", "supplier-2"}, []string{"o2", "o3"}},
		{[]string{"Bauen"}, []string{}}, // attributes match whole, not by prefix
		{[]string{"Umwelt"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.attrs), func(t *testing.T) {
			var got []ledgertest.Entry
			c.query(&got, "ByPartialKey", "offering~themenfeld", jsonArg(t, tc.attrs))
			values := make([]string, len(got))
			for i, e := range got {
				values[i] = e.Value
			}
			require.Equal(t, tc.want, values)
		})
	}

	t.Run("paginated", func(t *testing.T) {
		var p ledgertest.Page
		c.query(&p, "ByPartialKeyPage", "offering~themenfeld", jsonArg(t, []string{"Bauen & Wohnen"}), "2", "")
		require.Len(t, p.Entries, 2)
		require.Equal(t, created[2], p.Bookmark)
		c.query(&p, "ByPartialKeyPage", "offering~themenfeld", jsonArg(t, []string{"Bauen & Wohnen"}), "2", p.Bookmark)
		require.Equal(t, []string{created[2]}, keys(p.Entries))
		require.Equal(t, "", p.Bookmark)
	})
	t.Run("all composite keys", func(t *testing.T) {
		var p ledgertest.Page
		c.query(&p, "AllCompositePage", "10", "")
		require.Len(t, p.Entries, 5, "every composite key, no simple key")
		require.Equal(t, "", p.Bookmark)
	})
}
