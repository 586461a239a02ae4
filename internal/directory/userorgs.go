package directory

import (
	"context"
	"errors"

	"github.com/gatehouse/gatehouse/internal/failure"
	"github.com/gatehouse/gatehouse/internal/storage"
)

// maxOrgs is OneAccess's limit: one home organisation and up to nine more.
const maxOrgs = 10

// orgPlan is what a write says about a user's organisations.
type orgPlan struct {
	homeCode string        // org_code, "" when not sent or empty
	list     []OrgRelation // user_org_relation_list
	listSet  bool
	isCreate bool
}

func (w *UserWrite) orgPlan(isCreate bool) orgPlan {
	p := orgPlan{homeCode: w.orgCode().V, isCreate: isCreate}
	if w.UserOrgRelationList.Set && !w.UserOrgRelationList.Null {
		p.list, p.listSet = w.UserOrgRelationList.V, true
	}
	return p
}

func (p orgPlan) empty() bool { return p.homeCode == "" && !p.listSet }

func orgNotFound(field string) *failure.Failure {
	return failure.New(failure.Invalid, "ORG.0001", field, "Organization does not exist.")
}

func relInvalid(format string, args ...any) *failure.Failure {
	return invalid("USER.0018", "user_org_relation_list", format, args...)
}

// resolve turns the plan into the user's memberships and home
// organisation, reading organisations through tx. cur is the user's
// present memberships (nil on create).
//
// The home organisation is org_code when sent, whatever relation type the
// list gives it (OneAccess's own examples mark it 1); else the list's one
// entry of type 0; else the present home if listed; else the list's first
// entry. On create with neither, it is the tenant's first root
// organisation, if there is one.
func (p orgPlan) resolve(ctx context.Context, tx storage.Repos, tenantID string, cur []storage.UserOrg) ([]storage.UserOrg, string, error) {
	lookup := func(code, field string) (string, error) {
		o, err := tx.Orgs().GetByCode(ctx, tenantID, code)
		if errors.Is(err, storage.ErrNotFound) {
			return "", orgNotFound(field)
		}
		if err != nil {
			return "", err
		}
		return o.ID, nil
	}
	if p.empty() {
		if !p.isCreate {
			return cur, homeOf(cur), nil
		}
		root, err := tx.Orgs().FirstRoot(ctx, tenantID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, "", nil
		}
		if err != nil {
			return nil, "", err
		}
		return []storage.UserOrg{{OrgID: root.ID, RelationType: storage.RelationHome}}, root.ID, nil
	}
	home := ""
	if p.homeCode != "" {
		id, err := lookup(p.homeCode, "org_code")
		if err != nil {
			return nil, "", err
		}
		home = id
	}
	if !p.listSet {
		out := []storage.UserOrg{{OrgID: home, RelationType: storage.RelationHome}}
		for _, m := range cur {
			if m.RelationType != storage.RelationHome && m.OrgID != home {
				out = append(out, m)
			}
		}
		return out, home, nil
	}
	if len(p.list) > maxOrgs {
		return nil, "", relInvalid("The user_org_relation_list may hold at most %d organisations.", maxOrgs)
	}
	ids := make([]string, len(p.list))
	seen := map[string]bool{}
	typeZero := []string{}
	for i, r := range p.list {
		if r.OrgCode == "" {
			return nil, "", relInvalid("Every user_org_relation_list entry needs an orgCode.")
		}
		if r.RelationType != "" && r.RelationType != "0" && r.RelationType != "1" {
			return nil, "", relInvalid("The relationType must be 0 (home) or 1 (secondary).")
		}
		id, err := lookup(r.OrgCode, "user_org_relation_list")
		if err != nil {
			return nil, "", err
		}
		if seen[id] {
			return nil, "", relInvalid("The user_org_relation_list names organisation %q twice.", truncate(r.OrgCode, 64))
		}
		seen[id] = true
		ids[i] = id
		if r.RelationType == "0" {
			typeZero = append(typeZero, id)
		}
	}
	switch {
	case home != "":
		if !seen[home] {
			return nil, "", relInvalid("The user_org_relation_list must include the home organisation org_code.")
		}
	case len(typeZero) > 1:
		return nil, "", relInvalid("The user_org_relation_list may mark only one home organisation (relationType 0).")
	case len(typeZero) == 1:
		home = typeZero[0]
	case len(ids) == 0:
		// An empty list names no secondary organisations: the home one
		// stays (on create: the first root, as when nothing is sent).
		if p.isCreate {
			return orgPlan{isCreate: true}.resolve(ctx, tx, tenantID, nil)
		}
		if h := homeOf(cur); h != "" {
			return []storage.UserOrg{{OrgID: h, RelationType: storage.RelationHome}}, h, nil
		}
		return nil, "", nil
	case seen[homeOf(cur)]:
		home = homeOf(cur)
	default:
		home = ids[0]
	}
	out := []storage.UserOrg{{OrgID: home, RelationType: storage.RelationHome}}
	for _, id := range ids {
		if id != home {
			out = append(out, storage.UserOrg{OrgID: id, RelationType: storage.RelationSecondary})
		}
	}
	return out, home, nil
}

func homeOf(orgs []storage.UserOrg) string {
	for _, m := range orgs {
		if m.RelationType == storage.RelationHome {
			return m.OrgID
		}
	}
	return ""
}
