"""Follow (class mode): a student's read-only live view of the lecturer's run, and "Take a copy"."""
from explorer.app.shell import use_navigation_only

use_navigation_only()
from explorer.views import follow as follow_views  # noqa: E402

follow_views.show()
