"""Who am I and where am I: the current user, their profile, courses and groups.

A client needs these to show the user's name, the course a conversation is filed
under and the contexts to write to. Shapes follow Canvas's user, course and group
JSON; fields the sandbox has no notion of (terms, SIS, blueprints) get Canvas's
defaults. The token is never part of any answer.
"""

from __future__ import annotations

import hashlib

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import errors
from .endpoint import Call, NotFound, api, path_int
from .pagination import paginate
from .world import Course, Group, User

# Canvas's built-in role ids on a fresh install; clients only ever echo them back.
ROLE_IDS = {"StudentEnrollment": 3, "TeacherEnrollment": 4, "TaEnrollment": 5, "ObserverEnrollment": 7}
SHORT_TYPES = {"StudentEnrollment": "student", "TeacherEnrollment": "teacher", "TaEnrollment": "ta",
               "ObserverEnrollment": "observer"}
DEFAULT_TERM = {"id": 1, "name": "Default Term", "start_at": None, "end_at": None}


def path_user(call: Call) -> User | None:
    """``:user_id`` as Canvas reads it: "self" or one's own id is the caller.

    Another existing user gives None (the caller answers 401, as Canvas's
    authorized_action does); an unknown id is a 404.
    """
    raw = call.request.path_params.get("user_id", "")
    if raw == "self" or raw == str(call.user.id):
        return call.user
    if raw.isdigit() and int(raw) in call.state.world.users:
        return None
    raise NotFound(raw)


# -- users ---------------------------------------------------------------------------
def user_json(call: Call, user: User) -> dict:
    return {
        "id": user.id,
        "name": user.name,
        "sortable_name": user.sortable_name,
        "short_name": user.short_name,
        "sis_user_id": None,
        "integration_id": None,
        "login_id": user.login,
        "avatar_url": user.avatar_url(call.base_url),
        "locale": None,  # the user has not picked one; effective_locale is what applies
        "effective_locale": "en",
        "time_zone": user.time_zone,
        "permissions": {"can_update_name": True, "can_update_avatar": True, "limit_parent_app_web_access": False},
    }


@api
async def show_user(call: Call) -> Response:
    user = path_user(call)
    if user is None:
        return errors.unauthorized()
    return JSONResponse(user_json(call, user))


@api
async def show_profile(call: Call) -> Response:
    user = path_user(call)
    if user is None:
        return errors.unauthorized()
    return JSONResponse(
        {
            "id": user.id,
            "name": user.name,
            "short_name": user.short_name,
            "sortable_name": user.sortable_name,
            "title": None,
            "bio": None,
            "pronunciation": None,
            "primary_email": user.login,
            "login_id": user.login,
            "sis_user_id": None,
            "integration_id": None,
            "avatar_url": user.avatar_url(call.base_url),
            "calendar": {"ics": f"{call.base_url}/feeds/calendars/user_{user.id}.ics"},
            "time_zone": user.time_zone,
            "locale": None,
            "k5_user": False,
            "use_classic_font_in_k5": False,
        }
    )


# -- courses ---------------------------------------------------------------------------
def enrollment_state(course: Course) -> str:
    # Enrollments in a concluded course read as completed, as Canvas's state_based_on_date.
    return "completed" if course.concluded else "active"


def course_enrollments(call: Call, course: Course) -> list[dict]:
    out = []
    for etype in call.state.world.enrollment_types(call.user.id, course.id):
        entry = {
            "type": SHORT_TYPES[etype],
            "role": etype,
            "role_id": ROLE_IDS[etype],
            "user_id": call.user.id,
            "enrollment_state": enrollment_state(course),
            "limit_privileges_to_course_section": False,
        }
        if etype == "ObserverEnrollment":
            observed = [u for u in call.user.observee_ids if course.id in call.state.world.course_ids_of(u)]
            entry["associated_user_id"] = observed[0] if observed else None
        out.append(entry)
    return out


def course_json(call: Call, course: Course, include: set[str]) -> dict:
    world = call.state.world
    data = {
        "id": course.id,
        "name": course.name,
        "course_code": course.course_code,
        "original_name": None,
        "workflow_state": course.workflow_state,
        "account_id": 1,
        "root_account_id": 1,
        "enrollment_term_id": 1,
        "uuid": hashlib.sha1(f"sandbox-course-{course.id}".encode()).hexdigest(),
        "start_at": None,
        "end_at": None,
        "is_public": False,
        "public_syllabus": False,
        "default_view": "modules",
        "time_zone": "America/Denver",
        "blueprint": False,
        "hide_final_grades": False,
        "apply_assignment_group_weights": False,
        "restrict_enrollments_to_course_dates": False,
        "calendar": {"ics": f"{call.base_url}/feeds/calendars/course_{course.id}.ics"},
        "enrollments": course_enrollments(call, course),
    }
    members = world.course_members(course.id)
    if "term" in include:
        data["term"] = dict(DEFAULT_TERM)
    if "concluded" in include:
        data["concluded"] = course.concluded
    if "total_students" in include:
        data["total_students"] = sum(1 for u in members if "StudentEnrollment" in world.enrollment_types(u, course.id))
    if "teachers" in include:
        data["teachers"] = [
            {"id": u, "display_name": world.users[u].short_name,
             "avatar_image_url": world.users[u].avatar_url(call.base_url),
             "html_url": f"{call.base_url}/courses/{course.id}/users/{u}", "pronouns": None}
            for u in members if "TeacherEnrollment" in world.enrollment_types(u, course.id)
        ]
    if "sections" in include:
        mine = [e for e in world.enrollments if e.user_id == call.user.id and e.course_id == course.id]
        data["sections"] = [
            {"id": e.section_id, "name": world.sections[e.section_id].name, "start_at": None, "end_at": None,
             "enrollment_role": e.type}
            for e in mine
        ]
    return data


def _includes(call: Call) -> set[str]:
    return set(call.params.list("include") or ())


@api
async def list_courses(call: Call) -> Response:
    """Canvas's default is the active enrollments in available courses; the concluded
    course shows up only when asked for (``enrollment_state=completed`` or ``state[]=completed``)."""
    world = call.state.world
    wanted_enrollment = call.params.get("enrollment_state")
    states = call.params.list("state")
    wanted_type = call.params.get("enrollment_type")
    courses = []
    for cid in sorted(world.course_ids_of(call.user.id)):
        course = world.courses[cid]
        if wanted_enrollment in ("active", "completed", "invited_or_pending"):
            if enrollment_state(course) != wanted_enrollment:
                continue
        elif not states and course.concluded:
            continue
        if states and course.workflow_state not in states:
            continue
        if wanted_type and wanted_type not in {SHORT_TYPES[t] for t in world.enrollment_types(call.user.id, cid)}:
            continue
        courses.append(course)
    page, headers = paginate(call, courses)
    include = _includes(call)
    return JSONResponse([course_json(call, c, include) for c in page], headers=headers)


def _my_course(call: Call) -> Course:
    cid = path_int(call, "id")
    course = call.state.world.courses.get(cid)
    if course is None or cid not in call.state.world.course_ids_of(call.user.id):
        raise NotFound(cid)
    return course


@api
async def show_course(call: Call) -> Response:
    return JSONResponse(course_json(call, _my_course(call), _includes(call)))


@api
async def course_users(call: Call) -> Response:
    """The roster as a member sees it; logins only for teachers and TAs, as in Canvas."""
    course = _my_course(call)
    world = call.state.world
    staff = world.can_send_all(call.user.id, course.id)
    types = set(call.params.list("enrollment_type") or ())
    term = (call.params.get("search_term") or "").casefold()
    include = _includes(call)
    users = []
    for uid in world.course_members(course.id):
        user = world.users[uid]
        etypes = world.enrollment_types(uid, course.id)
        if types and not types & {SHORT_TYPES[t] for t in etypes}:
            continue
        if term and term not in user.name.casefold() and term not in user.short_name.casefold():
            continue
        users.append(user)
    users.sort(key=lambda u: (u.sortable_name.casefold(), u.id))
    page, headers = paginate(call, users)
    out = []
    for user in page:
        item = {"id": user.id, "name": user.name, "sortable_name": user.sortable_name, "short_name": user.short_name}
        if staff:
            item["login_id"] = user.login
        if "avatar_url" in include:
            item["avatar_url"] = user.avatar_url(call.base_url)
        if "enrollments" in include:
            item["enrollments"] = [
                {"type": t, "role": t, "user_id": user.id, "course_id": course.id,
                 "enrollment_state": enrollment_state(course)}
                for t in world.enrollment_types(user.id, course.id)
            ]
        out.append(item)
    return JSONResponse(out, headers=headers)


# -- groups ------------------------------------------------------------------------------
def group_json(call: Call, group: Group) -> dict:
    course = call.state.world.courses.get(group.course_id) if group.course_id else None
    return {
        "id": group.id,
        "name": group.name,
        "description": None,
        "is_public": False,
        "followed_by_user": False,
        "join_level": "invitation_only",
        "members_count": len(group.member_ids),
        "avatar_url": None,
        "context_type": "Course" if course else "Account",
        **({"course_id": course.id} if course else {"account_id": 1}),
        "role": None,
        "group_category_id": 1,
        "sis_group_id": None,
        "storage_quota_mb": 50,
        "permissions": {"create_discussion_topic": True, "create_announcement": True},
        "concluded": bool(course and course.concluded),
    }


@api
async def list_groups(call: Call) -> Response:
    user = path_user(call)
    if user is None:
        return errors.unauthorized()
    world = call.state.world
    wanted = call.params.get("context_type")  # Account | Course
    groups = [world.groups[g] for g in sorted(world.group_ids_of(user.id))]
    if wanted:
        groups = [g for g in groups if ("Course" if g.course_id else "Account") == wanted]
    page, headers = paginate(call, groups)
    return JSONResponse([group_json(call, g) for g in page], headers=headers)


@api
async def show_group(call: Call) -> Response:
    gid = path_int(call, "id")
    group = call.state.world.groups.get(gid)
    visible = group is not None and (
        call.user.id in group.member_ids
        or (group.course_id is not None and call.state.world.can_send_all(call.user.id, group.course_id))
        or call.user.may_masquerade  # an account admin reads every group of the account
    )
    if not visible:
        raise NotFound(gid)
    return JSONResponse(group_json(call, group))


routes = [
    Route("/api/v1/users/{user_id}", show_user, methods=["GET"]),
    Route("/api/v1/users/{user_id}/profile", show_profile, methods=["GET"]),
    Route("/api/v1/users/{user_id}/groups", list_groups, methods=["GET"]),
    Route("/api/v1/courses", list_courses, methods=["GET"]),
    Route("/api/v1/courses/{id}", show_course, methods=["GET"]),
    Route("/api/v1/courses/{id}/users", course_users, methods=["GET"]),
    Route("/api/v1/groups/{id}", show_group, methods=["GET"]),
]
