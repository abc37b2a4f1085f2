/**
 * Seed data for GET /api/v2/users and GET /api/v2/global-filters. The users' shape follows the
 * documented "Create User" response sample; teams follow the "Create a team" sample.
 */
export interface SeedUser {
  id: number;
  email: string;
  first_name: string;
  last_name: string;
  mobile_number?: string;
}

export interface SeedTeam {
  id: string;
  name: string;
  description: string;
  /** User ids of the members. */
  members: number[];
}

export interface Seed {
  users: SeedUser[];
  teams: SeedTeam[];
}

export const defaultSeed: Seed = {
  users: [
    { id: 1, email: 'john.doe@example.com', first_name: 'John', last_name: 'Doe', mobile_number: '+46701234567' },
    { id: 2, email: 'anna.berg@example.com', first_name: 'Anna', last_name: 'Berg', mobile_number: '+46701234568' },
    { id: 3, email: 'erik.lund@example.com', first_name: 'Erik', last_name: 'Lund' },
    { id: 95, email: 'support@example.com', first_name: 'Support', last_name: 'Desk' },
  ],
  teams: [
    { id: '75fc3b9a-b3a4-4291-8bc7-138a3bade3b4', name: 'Team A', description: 'Team A description', members: [1, 2] },
    { id: '05e62f00-3038-4acb-9d43-0a14aa466de5', name: 'Team B', description: 'Team B description', members: [3, 95] },
  ],
};

/** A user as GET /api/v2/users lists it. */
export function publicUser(user: SeedUser, seed: Seed): Record<string, unknown> {
  return {
    id: user.id,
    username: user.email,
    email: user.email,
    first_name: user.first_name,
    last_name: user.last_name,
    profile_picture_url: null,
    mobile_number: user.mobile_number ?? null,
    teams: seed.teams.filter((t) => t.members.includes(user.id)).map((t) => ({ id: t.id, name: t.name })),
    accounts: [],
    last_login: null,
  };
}

export function publicTeam(team: SeedTeam): Record<string, unknown> {
  return { id: team.id, name: team.name, description: team.description, settings: [], managers: [] };
}
