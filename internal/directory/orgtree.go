package directory

import (
	"context"
	"sync"

	"github.com/gatehouse/gatehouse/internal/storage"
)

// treeCache keeps walks of large organisation trees, so that paging the
// list of a 10,000-organisation subtree reads one version number and ten
// rows instead of walking the tree for every page. An entry is used only
// while the tenant's tree version is the one read before the walk, so a
// change made through any node is seen by the next request on every node.
type treeCache struct {
	mu      sync.Mutex
	entries map[treeKey]treeEntry
	ids     int // ids held in all entries
}

type treeKey struct {
	tenantID, rootID string
	depth            int
}

type treeEntry struct {
	version int64
	ids     []string
}

const (
	// cacheFrom: smaller trees are walked every time (a walk of 500
	// organisations takes well under a millisecond).
	cacheFrom = 500
	// cacheMaxIDs bounds the memory (about 40 bytes an id: 20 MB).
	cacheMaxIDs = 500_000
)

func (c *treeCache) get(k treeKey, version int64) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || e.version != version {
		return nil, false
	}
	return e.ids, true
}

func (c *treeCache) put(k treeKey, version int64, ids []string) {
	if len(ids) < cacheFrom || len(ids) > cacheMaxIDs {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[treeKey]treeEntry{}
	}
	if old, ok := c.entries[k]; ok {
		c.ids -= len(old.ids)
	}
	// Over budget: drop entries (stale ones are as good as any to lose).
	for k2, e := range c.entries {
		if c.ids+len(ids) <= cacheMaxIDs {
			break
		}
		delete(c.entries, k2)
		c.ids -= len(e.ids)
	}
	c.entries[k] = treeEntry{version: version, ids: ids}
	c.ids += len(ids)
}

// treePage returns one page of a tree listing and the tree's size.
func (s *Orgs) treePage(ctx context.Context, tenantID, rootID string, depth, offset, limit int) ([]storage.Organization, int, error) {
	repo := s.Store.Orgs()
	version, err := repo.TreeVersion(ctx, tenantID)
	if err != nil {
		return nil, 0, err
	}
	k := treeKey{tenantID, rootID, depth}
	ids, ok := s.trees.get(k, version)
	if !ok {
		// The version was read before the walk: a change racing with it
		// makes the entry stale at once, never wrongly fresh.
		if ids, err = repo.TreeIDs(ctx, tenantID, rootID, depth); err != nil {
			return nil, 0, err
		}
		s.trees.put(k, version, ids)
	}
	if offset >= len(ids) {
		return []storage.Organization{}, len(ids), nil
	}
	page, err := repo.GetMany(ctx, tenantID, ids[offset:min(offset+limit, len(ids))])
	return page, len(ids), err
}
