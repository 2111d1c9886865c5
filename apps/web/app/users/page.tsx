'use client';
import { AdminsOnly } from '../../components/admin/common';
import { TokensSection } from '../../components/admin/tokens';
import { UsersSection } from '../../components/admin/users';
import { useMe } from '../../components/use-auth';
import { useTitle } from '../../components/use-title';

/** Users (admins) and everyone's own API tokens. */
export default function UsersPage() {
  useTitle('Users');
  const me = useMe();
  if (!me) return null;
  return (
    <div className="space-y-8">
      {/* the page's one h1 for screen readers; its two sections show their own headings */}
      <h1 className="sr-only">Users and API tokens</h1>
      {me.can.admin ? <UsersSection me={me} /> : <AdminsOnly what="ask an admin to manage users" />}
      <TokensSection me={me} />
    </div>
  );
}
