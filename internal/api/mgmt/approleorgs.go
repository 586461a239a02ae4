package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// Roles given to application organisations (Gatehouse's own calls, shaped
// like OneAccess's role-member calls).

type roleOrgsBody struct {
	RoleID opt.String          `json:"role_id"`
	OrgIDs opt.Value[[]string] `json:"org_ids"`
}

// addRoleOrgs is POST …/role-org {role_id, org_ids}.
func (a *API) addRoleOrgs(w http.ResponseWriter, r *http.Request) error {
	return a.roleOrgs(w, r, true)
}

// removeRoleOrgs is DELETE …/role-org with the same JSON body.
func (a *API) removeRoleOrgs(w http.ResponseWriter, r *http.Request) error {
	return a.roleOrgs(w, r, false)
}

func (a *API) roleOrgs(w http.ResponseWriter, r *http.Request, add bool) error {
	var in roleOrgsBody
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	f := a.Roles.RemoveOrgs
	if add {
		f = a.Roles.AddOrgs
	}
	out, err := f(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), in.RoleID.V, in.OrgIDs.V)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, membersResponse{out.Success, out.Fail})
	return nil
}

type roleOrgList struct {
	Total         int          `json:"total"`
	Offset        int          `json:"offset"`
	Limit         int          `json:"limit"`
	Organizations []appOrgRead `json:"organizations"`
}

// listRoleOrgs is GET …/role-org-list/{role_id}?offset=&limit=.
func (a *API) listRoleOrgs(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r.URL.Query().Get("offset"), r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	list, total, err := a.Roles.Orgs(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("application_id"), r.PathValue("role_id"), offset*limit, limit)
	if err != nil {
		return err
	}
	out := roleOrgList{Total: total, Offset: offset, Limit: limit, Organizations: make([]appOrgRead, len(list))}
	for i := range list {
		out.Organizations[i] = toAppOrgRead(&list[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
