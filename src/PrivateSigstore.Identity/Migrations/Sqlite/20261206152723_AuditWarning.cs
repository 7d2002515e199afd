using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PrivateSigstore.Identity.Migrations.Sqlite
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
                type: "TEXT",
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
