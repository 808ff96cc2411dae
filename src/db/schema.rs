// Written by hand to match both migration folders; keep it portable (see migrations/README.md).

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    departments (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        created_at -> Timestamp,
        name_zh -> Text,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        slug -> Text,
        name_en -> Text,
        name_zh -> Text,
        description -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        login -> Text,
        display_name -> Text,
        role -> Text,
        department_id -> Nullable<BigInt>,
        password_hash -> Text,
        language -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        session_epoch -> Integer,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        label -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    incidents (id) {
        id -> BigInt,
        title -> Text,
        body -> Text,
        category_id -> BigInt,
        reporter_id -> BigInt,
        department_id -> Nullable<BigInt>,
        counterpart_id -> Nullable<BigInt>,
        occurred_at -> Timestamp,
        local_date -> Date,
        week_key -> Text,
        iso_weekday -> Integer,
        local_hour -> Integer,
        tags -> Text,
        external_ref -> Nullable<Text>,
        status -> Text,
        handled_note -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        cluster_id -> Nullable<BigInt>,
        join_reason -> Nullable<Text>,
        join_score -> Nullable<Double>,
        join_terms -> Nullable<Text>,
        import_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    imports (id) {
        id -> BigInt,
        actor_id -> BigInt,
        file_name -> Text,
        encoding -> Text,
        delimiter -> Text,
        rows -> BigInt,
        created_at -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        withdrawn_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    clusters (id) {
        id -> BigInt,
        category_id -> BigInt,
        title -> Text,
        summary -> Text,
        owner_id -> Nullable<BigInt>,
        state -> Text,
        rung -> Integer,
        confirmed -> Bool,
        dismissed -> Bool,
        merged_into -> Nullable<BigInt>,
        incident_count -> Integer,
        last_incident_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cluster_rules (id) {
        id -> BigInt,
        category_id -> BigInt,
        pattern -> Text,
        cluster_id -> BigInt,
        active -> Bool,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cluster_weeks (cluster_id, week_key) {
        cluster_id -> BigInt,
        week_key -> Text,
        incidents -> Integer,
        refs -> Integer,
    }
}

diesel::table! {
    cluster_week_values (cluster_id, week_key, dimension, value) {
        cluster_id -> BigInt,
        week_key -> Text,
        dimension -> Text,
        value -> Text,
        incidents -> Integer,
    }
}

diesel::table! {
    category_weeks (category_id, week_key) {
        category_id -> BigInt,
        week_key -> Text,
        incidents -> Integer,
    }
}

diesel::table! {
    incident_tags (incident_id, tag) {
        incident_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        actor_id -> Nullable<BigInt>,
        entity -> Text,
        entity_id -> BigInt,
        action -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::joinable!(users -> departments (department_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(incidents -> categories (category_id));
diesel::joinable!(incidents -> users (reporter_id));
diesel::joinable!(incident_tags -> incidents (incident_id));
diesel::joinable!(clusters -> categories (category_id));
diesel::joinable!(cluster_weeks -> clusters (cluster_id));
diesel::joinable!(cluster_week_values -> clusters (cluster_id));
diesel::joinable!(cluster_rules -> clusters (cluster_id));

diesel::table! {
    scheduled_jobs (name) {
        name -> Text,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_run_at -> Nullable<Timestamp>,
        last_period -> Nullable<Text>,
        event_cursor -> BigInt,
        runs -> BigInt,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        url -> Text,
        secret -> Text,
        events -> Text,
        language -> Text,
        active -> Bool,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        endpoint_id -> BigInt,
        event_id -> Nullable<BigInt>,
        idempotency_key -> Text,
        kind -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        last_status -> Nullable<Integer>,
        response_ms -> Nullable<BigInt>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));

diesel::allow_tables_to_appear_in_same_query!(
    webhook_endpoints,
    webhook_deliveries,
    scheduled_jobs,
    settings,
    departments,
    categories,
    users,
    api_tokens,
    incidents,
    imports,
    incident_tags,
    audit_events,
    clusters,
    cluster_rules,
    cluster_weeks,
    cluster_week_values,
    category_weeks,
    actions,
    action_steps,
    action_departments,
    action_signoffs,
    action_weights,
    action_comments,
    coach_dismissals,
    meetings,
    meeting_attendees,
    meeting_decisions,
);

diesel::table! {
    actions (id) {
        id -> BigInt,
        cluster_id -> BigInt,
        rung -> Integer,
        title -> Text,
        why -> Text,
        owner_id -> Nullable<BigInt>,
        due_on -> Nullable<Date>,
        goal_kind -> Nullable<Text>,
        goal_value -> Nullable<Double>,
        stage -> Text,
        launched_on -> Nullable<Date>,
        review_after_weeks -> Integer,
        retro_weeks -> Nullable<Integer>,
        kpi_department_id -> Nullable<BigInt>,
        kpi_item -> Nullable<Text>,
        kpi_definition -> Nullable<Text>,
        kpi_weight -> Nullable<Double>,
        guard_cluster_id -> Nullable<BigInt>,
        guard_category_id -> Nullable<BigInt>,
        guard_margin -> Nullable<Double>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    action_steps (id) {
        id -> BigInt,
        action_id -> BigInt,
        stage -> Text,
        on_date -> Date,
        actor_id -> Nullable<BigInt>,
        note -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    action_departments (action_id, department_id) {
        action_id -> BigInt,
        department_id -> BigInt,
    }
}

diesel::table! {
    action_signoffs (id) {
        id -> BigInt,
        action_id -> BigInt,
        department_id -> BigInt,
        user_id -> BigInt,
        decision -> Text,
        comment -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    action_weights (id) {
        id -> BigInt,
        action_id -> BigInt,
        weight -> Double,
        on_date -> Date,
        reason -> Text,
        actor_id -> Nullable<BigInt>,
        at -> Timestamp,
    }
}

diesel::table! {
    action_comments (id) {
        id -> BigInt,
        action_id -> BigInt,
        user_id -> BigInt,
        body -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    coach_dismissals (id) {
        id -> BigInt,
        cluster_id -> BigInt,
        rung -> Integer,
        reason -> Text,
        user_id -> BigInt,
        at -> Timestamp,
    }
}

diesel::joinable!(actions -> clusters (cluster_id));
diesel::joinable!(action_steps -> actions (action_id));
diesel::joinable!(action_signoffs -> actions (action_id));
diesel::joinable!(action_weights -> actions (action_id));
diesel::joinable!(action_comments -> actions (action_id));

diesel::table! {
    meetings (id) {
        id -> BigInt,
        week_key -> Text,
        state -> Text,
        notes -> Text,
        held_at -> Nullable<Timestamp>,
        held_by -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    meeting_attendees (meeting_id, user_id) {
        meeting_id -> BigInt,
        user_id -> BigInt,
    }
}

diesel::table! {
    meeting_decisions (id) {
        id -> BigInt,
        meeting_id -> BigInt,
        body -> Text,
        state -> Text,
        action_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(meeting_attendees -> meetings (meeting_id));
diesel::joinable!(meeting_attendees -> users (user_id));
diesel::joinable!(meeting_decisions -> meetings (meeting_id));
diesel::joinable!(meeting_decisions -> actions (action_id));

// Goals tracked week by week (migration 000021).
diesel::table! {
    action_goals (action_id) {
        action_id -> BigInt,
        start_week -> Text,
        start_level -> Double,
        target_week -> Text,
        target_value -> Double,
    }
}

diesel::table! {
    goal_behind (action_id, week_key) {
        action_id -> BigInt,
        week_key -> Text,
        actual -> BigInt,
        target -> Double,
        at -> Timestamp,
    }
}

diesel::joinable!(action_goals -> actions (action_id));
diesel::joinable!(goal_behind -> actions (action_id));
diesel::allow_tables_to_appear_in_same_query!(action_goals, goal_behind, actions);
