//! A small bounded connection pool: idle connections are reused, broken ones are dropped, and at
//! most `size` are open at once; callers wait (bounded) for a free slot.

use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use postgres::{Config, NoTls};

use super::pg_err;
use super::tx::Conn;
use crate::StoreError;

/// How long a caller waits for a free connection before the store reports itself unavailable.
const CHECKOUT_WAIT: Duration = Duration::from_secs(15);

struct State {
    idle: Vec<Conn>,
    open: usize,
}

pub(super) struct Pool {
    config: Config,
    size: usize,
    /// Session settings every new connection runs first.
    session: &'static str,
    state: Mutex<State>,
    freed: Condvar,
}

impl Pool {
    /// A pool of at most `size` connections to `url`, each starting with the `session` SQL.
    pub(super) fn new(url: &str, size: usize, session: &'static str) -> Result<Self, StoreError> {
        let mut config: Config = url.parse().map_err(|e| StoreError::Unavailable(format!("database url: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        config.keepalives(true).keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("eniplane");
        }
        Ok(Self {
            config,
            size,
            session,
            state: Mutex::new(State { idle: Vec::new(), open: 0 }),
            freed: Condvar::new(),
        })
    }

    /// A connection: an idle one, or a new one while fewer than `size` are open.
    pub(super) fn checkout(&self) -> Result<Conn, StoreError> {
        let mut st = self.state.lock();
        loop {
            if let Some(mut c) = st.idle.pop() {
                if c.is_broken() {
                    st.open -= 1;
                    continue;
                }
                c.reused = true;
                return Ok(c);
            }
            if st.open < self.size {
                st.open += 1;
                break;
            }
            if self.freed.wait_for(&mut st, CHECKOUT_WAIT).timed_out() {
                return Err(StoreError::Unavailable("no database connection free".into()));
            }
        }
        drop(st);
        match self.connect() {
            Ok(c) => Ok(c),
            Err(e) => {
                self.state.lock().open -= 1;
                self.freed.notify_one();
                Err(e)
            }
        }
    }

    fn connect(&self) -> Result<Conn, StoreError> {
        let mut client = self.config.connect(NoTls).map_err(pg_err)?;
        // A replica that stalls inside a transaction must not hold row locks (leases) forever.
        client.batch_execute("SET idle_in_transaction_session_timeout = '30s'").map_err(pg_err)?;
        if !self.session.is_empty() {
            client.batch_execute(self.session).map_err(pg_err)?;
        }
        Ok(Conn::new(client))
    }

    /// Gives a connection back; a broken one is dropped with every idle one (after an outage
    /// they are all dead) so the next callers open fresh connections.
    pub(super) fn checkin(&self, conn: Conn) {
        let mut st = self.state.lock();
        if conn.is_broken() {
            st.open -= 1;
            let dropped = std::mem::take(&mut st.idle);
            st.open -= dropped.len();
            drop(st);
            drop(dropped);
            self.freed.notify_all();
            return;
        }
        st.idle.push(conn);
        drop(st);
        self.freed.notify_one();
    }
}

impl Pool {
    /// Drops one connection for good (its job panicked mid-transaction; closing it makes the
    /// server roll that transaction back) and frees its slot. Other idle connections stay.
    pub(super) fn discard(&self, conn: Conn) {
        self.state.lock().open -= 1;
        drop(conn);
        self.freed.notify_one();
    }

    /// Runs one autocommit call on a pooled connection, retrying once when a connection that
    /// sat idle in the pool turns out to be dead (the call then never reached the database).
    pub(super) fn with_conn<T>(&self, mut f: impl FnMut(&mut Conn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut stale_retry = true;
        loop {
            let mut conn = self.checkout()?;
            let was_idle = conn.reused;
            let r = f(&mut conn);
            let broken = conn.is_broken();
            self.checkin(conn);
            match r {
                Err(StoreError::Unavailable(_)) if broken && was_idle && stale_retry => stale_retry = false,
                other => return other,
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // The synchronous driver blocks when a client is dropped, which it refuses to do on an
        // async runtime's thread; the store may well be dropped there, so close them elsewhere.
        let idle = std::mem::take(&mut self.state.get_mut().idle);
        if !idle.is_empty() {
            let _ = std::thread::Builder::new().name("pg-pool-close".into()).spawn(move || drop(idle));
        }
    }
}
