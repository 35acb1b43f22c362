/* GET /v1/client/viewer: the user a client auth token speaks for. */
#include <json-c/json.h>
#include <string.h>

#include "cordgate/auth.h"
#include "cordgate/buf.h"
#include "cordgate/handlers.h"
#include "cordgate/http.h"
#include "cordgate/json.h"

static const char *
first_set(const char *a, const char *b, const char *fallback)
{
    if (a != NULL && a[0] != '\0')
        return a;
    if (b != NULL && b[0] != '\0')
        return b;
    return fallback;
}

enum cg_err
handle_client_viewer_get(struct request *r)
{
    const struct viewer *v = r->viewer;
    struct buf *b = &r->out;

    /* displayName = screenName || name || 'unknown';
     * secondaryDisplayName = name || screenName || 'Unknown' (Cord). */
    if (buf_append_str(b, "{\"id\":") ||
        buf_append_json_string(b, v->user_id, strlen(v->user_id)) ||
        buf_append_json_field(b, "name", v->name) ||
        buf_append_json_field(b, "shortName", v->short_name) ||
        buf_append_json_field(b, "displayName",
                              first_set(v->short_name, v->name, "unknown")) ||
        buf_append_json_field(b, "secondaryDisplayName",
                              first_set(v->name, v->short_name, "Unknown")) ||
        buf_append_json_field(b, "email", v->email) ||
        buf_append_json_field(b, "status", v->status) ||
        buf_append_json_field(b, "profilePictureURL", v->profile_picture_url) ||
        buf_append_str(b, ",\"metadata\":") ||
        json_append_compact_text(&r->out, r->arena, v->metadata) ||
        buf_append_json_field(b, "organizationID", v->group_id) ||
        buf_append_json_field(b, "groupID", v->group_id) ||
        buf_append_str(b, ",\"notificationPreferences\":{\"sendViaEmail\":"
                          "true,\"sendViaSlack\":true},\"isSlackConnected\":"
                          "false,\"organizationIsSlackConnected\":false,"
                          "\"groupIsSlackConnected\":false,\"groups\":") ||
        json_append_compact_text(&r->out, r->arena, v->groups) ||
        buf_append_char(b, '}'))
        return CG_ERR_INTERNAL;
    return CG_ERR_OK;
}
