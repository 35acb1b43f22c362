/* Cord's request schemas, row by row, as its schema.json has them. */
#include "cordgate/schema.h"

/*
 * Each schema is rows of struct schema_node (see schema.h for the keywords a
 * row may name) in the property order of Cord's schema.json, which is the
 * order its error messages list fields in.  A field is one row; a type that
 * embeds another refers to its rows.  Rules the tables cannot say (a new
 * group needs a name, an id must pass isValidExternalID) are the handlers'.
 */

#define USERS_REFER  "https://docs.cord.com/rest-apis/users/"
#define GROUPS_REFER "https://docs.cord.com/rest-apis/groups/"
#define BATCH_REFER  "https://docs.cord.com/rest-apis/batch/"
#define TOKEN_REFER  "https://docs.cord.com/reference/authentication/"

static const char *const statuses[] = {"active", "deleted", NULL};

/* The leaves. */
static const struct schema_node text = {.types = {ST_STRING}};
static const struct schema_node text_or_null = {.types = {ST_NULL, ST_STRING}};
static const struct schema_node email = {.types = {ST_NULL, ST_STRING},
                                         .format = SF_EMAIL};
static const struct schema_node uri = {.types = {ST_NULL, ST_STRING},
                                       .format = SF_URI};
static const struct schema_node uuid = {.types = {ST_STRING},
                                        .format = SF_UUID};
static const struct schema_node status = {.types = {ST_STRING},
                                          .enums = statuses};
static const struct schema_node boolean = {.types = {ST_BOOLEAN}};
static const struct schema_node id = {
    .types = {ST_STRING, ST_NUMBER}, .min_length = 1, .max_length = 128};
static const struct schema_node ids = {.types = {ST_ARRAY}, .items = &id};
static const struct schema_node group_ids = {.types = {ST_ARRAY},
                                             .items = &text};
static const struct schema_node flat_value = {
    .types = {ST_STRING, ST_NUMBER, ST_BOOLEAN}};
static const struct schema_node metadata = {.types = {ST_OBJECT},
                                            .values = &flat_value};

/* ServerUpdateUser's fields, shared by every user type. */
#define USER_FIELDS                                                            \
    {"name", &text_or_null}, {"metadata", &metadata}, {"status", &status},     \
        {"email", &email}, {"shortName", &text_or_null},                       \
        {"short_name", &text_or_null}, {"profilePictureURL", &uri},            \
        {"profile_picture_url", &uri}, {"first_name", &text_or_null},          \
    {                                                                          \
        "last_name", &text_or_null                                             \
    }

static const char *const need_id[] = {"id", NULL};
static const char *const need_id_name[] = {"id", "name", NULL};
static const char *const need_email[] = {"email", NULL};

static const struct schema_prop update_user_props[] = {
    USER_FIELDS,
    {"addGroups", &group_ids},
    {"removeGroups", &group_ids},
    {NULL, NULL},
};
static const struct schema_node update_user = {.types = {ST_OBJECT},
                                               .props = update_user_props};

static const struct schema_prop create_user_props[] = {
    USER_FIELDS,
    {"id", &id},
    {NULL, NULL},
};
static const struct schema_node create_user = {
    .types = {ST_OBJECT},
    .props = create_user_props,
    .required = need_id,
    .seed = need_email,
};
/* BatchUpdateUser: the create fields, without the seeds' email rule. */
static const struct schema_node batch_user = {
    .types = {ST_OBJECT}, .props = create_user_props, .required = need_id};

static const struct schema_prop delete_user_props[] = {
    {"permanently_delete", &boolean},
    {NULL, NULL},
};
static const char *const need_permanently[] = {"permanently_delete", NULL};
static const struct schema_node delete_user = {.types = {ST_OBJECT},
                                               .props = delete_user_props,
                                               .required = need_permanently};

#define GROUP_FIELDS                                                           \
    {"name", &text}, {"metadata", &metadata}, {"status", &status},             \
    {                                                                          \
        "members", &ids                                                        \
    }

static const struct schema_prop update_group_props[] = {
    GROUP_FIELDS,
    {NULL, NULL},
};
static const struct schema_node update_group = {.types = {ST_OBJECT},
                                                .props = update_group_props};

static const struct schema_prop create_org_props[] = {
    {"id", &id},
    GROUP_FIELDS,
    {NULL, NULL},
};
static const struct schema_node create_org = {
    .types = {ST_OBJECT}, .props = create_org_props, .required = need_id_name};

static const struct schema_prop batch_group_props[] = {
    GROUP_FIELDS,
    {"id", &id},
    {NULL, NULL},
};
static const struct schema_node batch_group = {
    .types = {ST_OBJECT}, .props = batch_group_props, .required = need_id};

static const struct schema_prop group_members_props[] = {
    {"add", &ids},
    {"remove", &ids},
    {NULL, NULL},
};
static const struct schema_node group_members = {.types = {ST_OBJECT},
                                                 .props = group_members_props};

static const struct schema_node batch_users = {
    .types = {ST_ARRAY}, .max_items = 10000, .items = &batch_user};
static const struct schema_node batch_groups = {
    .types = {ST_ARRAY}, .max_items = 1000, .items = &batch_group};
static const struct schema_prop batch_props[] = {
    {"users", &batch_users},
    {"organizations", &batch_groups},
    {"groups", &batch_groups},
    {NULL, NULL},
};
static const struct schema_node batch = {.types = {ST_OBJECT},
                                         .props = batch_props};

static const char *const need_user_id[] = {"user_id", NULL};
static const struct schema_prop client_token_props[] = {
    {"app_id", &uuid},
    {"project_id", &uuid},
    {"user_id", &id},
    {"organization_id", &id},
    {"group_id", &id},
    {"user_details", &update_user},
    {"organization_details", &update_group},
    {"group_details", &update_group},
    {NULL, NULL},
};
/* Claims beyond these (iat, exp, anything) are allowed. */
static const struct schema_node client_token = {
    .types = {ST_OBJECT},
    .props = client_token_props,
    .open = true,
    .required = need_user_id,
};

const struct schema schema_create_user = {"CreatePlatformUserVariables",
                                          USERS_REFER, &create_user,
                                          CG_ERR_INVALID_REQUEST};
const struct schema schema_update_user = {"UpdatePlatformUserVariables",
                                          USERS_REFER, &update_user,
                                          CG_ERR_INVALID_REQUEST};
const struct schema schema_delete_user = {"DeleteUserVariables", USERS_REFER,
                                          &delete_user, CG_ERR_INVALID_REQUEST};
const struct schema schema_update_group = {"UpdatePlatformGroupVariables",
                                           GROUPS_REFER, &update_group,
                                           CG_ERR_INVALID_REQUEST};
const struct schema schema_create_org = {"CreatePlatformOrganizationVariables",
                                         NULL, &create_org,
                                         CG_ERR_INVALID_REQUEST};
const struct schema schema_group_members = {
    "UpdatePlatformGroupMembersVariables", GROUPS_REFER, &group_members,
    CG_ERR_INVALID_REQUEST};
const struct schema schema_batch = {"BatchAPIVariables", BATCH_REFER, &batch,
                                    CG_ERR_INVALID_REQUEST};
const struct schema schema_client_token = {"ClientAuthTokenData", TOKEN_REFER,
                                           &client_token,
                                           CG_ERR_INVALID_SESSION_TOKEN};
