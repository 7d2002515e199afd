using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PrivateSigstore.Identity.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AuditWarning : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "warning",
                table: "token_audit",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "warning",
                table: "token_audit");
        }
    }
}
