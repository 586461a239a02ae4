package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/opt"
	"github.com/gatehouse/gatehouse/internal/storage"
	"github.com/gatehouse/gatehouse/internal/tenant"
)

// Application roles at OneAccess's paths (3.4): a singular /role, and
// camelCase createdAt/updatedAt in what they return.

type roleIDResponse struct {
	RoleID string `json:"role_id"`
}

type roleRead struct {
	ID        string  `json:"id"`
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	CreatedAt *string `json:"createdAt"`
	UpdatedAt *string `json:"updatedAt"`
}

func (a *API) roleRead(r *storage.AppRole) roleRead {
	return roleRead{ID: r.ID, Code: r.Code, Name: r.Name, CreatedAt: a.stamp(r.CreatedAt), UpdatedAt: a.stamp(r.UpdatedAt)}
}

// createRole is POST …/{application_id}/role {code, name}: 200 {role_id}.
func (a *API) createRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code opt.String `json:"code"`
		Name opt.String `json:"name"`
	}
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id, err := a.Roles.Create(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), in.Code.V, in.Name.V)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, roleIDResponse{id})
	return nil
}

// updateRole is PUT …/role/{role_id} {name}: 200 {role_id}.
func (a *API) updateRole(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name opt.String `json:"name"`
	}
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	id := r.PathValue("role_id")
	if err := a.Roles.Rename(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), id, in.Name.V); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, roleIDResponse{id})
	return nil
}

// deleteRole is DELETE …/role/{role_id}: 200 with no body, as documented.
func (a *API) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := a.Roles.Delete(r.Context(), tenant.FromContext(r.Context()).ID, actor(r), r.PathValue("application_id"), r.PathValue("role_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getRole is GET …/role/{role_id}.
func (a *API) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := a.Roles.Get(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("application_id"), r.PathValue("role_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.roleRead(role))
	return nil
}

type roleList struct {
	Total  int        `json:"total"`
	Offset int        `json:"offset"`
	Limit  int        `json:"limit"`
	Roles  []roleRead `json:"roles"`
}

// listRoles is GET …/role-list?offset=&limit=: the paging is echoed.
func (a *API) listRoles(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r.URL.Query().Get("offset"), r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	list, total, err := a.Roles.List(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("application_id"), offset*limit, limit)
	if err != nil {
		return err
	}
	out := roleList{Total: total, Offset: offset, Limit: limit, Roles: make([]roleRead, len(list))}
	for i := range list {
		out.Roles[i] = a.roleRead(&list[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type membersBody struct {
	RoleID     opt.String          `json:"role_id"`
	AccountIDs opt.Value[[]string] `json:"account_Ids"`
}

type membersResponse struct {
	SuccessList []string `json:"success_list"`
	FailList    []string `json:"fail_list"`
}

// addRoleMembers is POST …/role-member {role_id, account_Ids}.
func (a *API) addRoleMembers(w http.ResponseWriter, r *http.Request) error {
	return a.roleMembers(w, r, true)
}

// removeRoleMembers is DELETE …/role-member with the same JSON body.
func (a *API) removeRoleMembers(w http.ResponseWriter, r *http.Request) error {
	return a.roleMembers(w, r, false)
}

func (a *API) roleMembers(w http.ResponseWriter, r *http.Request, add bool) error {
	var in membersBody
	if err := decodeBody(r, &in, true); err != nil {
		return err
	}
	t, appID := tenant.FromContext(r.Context()).ID, r.PathValue("application_id")
	f := a.Roles.RemoveMembers
	if add {
		f = a.Roles.AddMembers
	}
	out, err := f(r.Context(), t, actor(r), appID, in.RoleID.V, in.AccountIDs.V)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, membersResponse{out.Success, out.Fail})
	return nil
}

type memberList struct {
	Total       int         `json:"total"`
	Offset      int         `json:"offset"`
	Limit       int         `json:"limit"`
	RoleMembers []memberRow `json:"role_members"`
}

// listRoleMembers is GET …/role-member-list/{role_id}?offset=&limit=.
func (a *API) listRoleMembers(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r.URL.Query().Get("offset"), r.URL.Query().Get("limit"))
	if err != nil {
		return err
	}
	list, total, err := a.Roles.Members(r.Context(), tenant.FromContext(r.Context()).ID, r.PathValue("application_id"), r.PathValue("role_id"), offset*limit, limit)
	if err != nil {
		return err
	}
	out := memberList{Total: total, Offset: offset, Limit: limit, RoleMembers: make([]memberRow, len(list))}
	for i := range list {
		out.RoleMembers[i] = toMemberRow(&list[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
