import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the superuser named by DJANGO_SUPERUSER_* (or set its password if it exists)."

    def handle(self, *args, **options):
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not username or not password:
            self.stdout.write("DJANGO_SUPERUSER_USERNAME/PASSWORD not set: no superuser ensured.")
            return
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = user.is_active = True
        if os.environ.get("DJANGO_SUPERUSER_EMAIL"):
            user.email = os.environ["DJANGO_SUPERUSER_EMAIL"]
        user.set_password(password)
        user.save()
        self.stdout.write(f"Superuser {username} {'created' if created else 'updated'}.")
